#!/usr/bin/python3
"""Writes the ONNX MobileNets that OnnxImportTest compares with ONNX Runtime.

torchvision's MobileNetV2, V3-Large and V3-Small, and a MobileNetV1 in torchvision's style, with
small width multipliers and 10 classes, seeded random
weights, exported twice: with BatchNorm kept (TrainingMode.PRESERVE) and folded into the
convolutions (TrainingMode.EVAL, constant folding). Random BatchNorm statistics would make every
photo give the same output, so each network's statistics are measured on the sample photos (the
tensors the tests feed, model/src/test/resources/golden/inputs) as they pass through it (one training-mode pass with a cumulative average), and its BatchNorm scales
and shifts are drawn around 1 and 0. The classifier's bias is set so that the mean of the photos'
logits is zero for every class, so that their top classes differ.

Also writes what torchvision's ImageNet preprocessing (Resize(256), CenterCrop(224)) makes of a
sample photo, for the antialiased resize's test.

Needs Debian's python3-torchvision and python3-onnx (torch 1.13, torchvision 0.14, onnx 1.12) and
python3-numpy:
    /usr/bin/python3 model/src/test/onnx/make_models.py
"""
import os
import sys

import numpy
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "onnx")
# The sample photos as the tests feed them: 224x224 RGB in [0, 1], NHWC float32.
INPUTS = os.path.join(HERE, "..", "resources", "golden", "inputs")
PHOTOS = ["china", "flower", "grace_hopper", "ski_astronaut", "ski_chelsea", "ski_coffee", "ski_rocket"]
CLASSES = 10
OPSET = 13


class MobileNetV1(torch.nn.Module):
    """MobileNetV1 in torchvision's style (torchvision has none): 3x3 stem, 13 depthwise-separable
    blocks, Conv-BatchNorm-ReLU throughout with PyTorch's padding, pool, one linear classifier."""

    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, width_mult=1.0, num_classes=1000):
        super().__init__()

        def unit(inp, out, kernel, stride, groups=1):
            return [torch.nn.Conv2d(inp, out, kernel, stride, kernel // 2, groups=groups, bias=False),
                    torch.nn.BatchNorm2d(out), torch.nn.ReLU(inplace=True)]

        channels = int(32 * width_mult)
        layers = unit(3, channels, 3, 2)
        for filters, stride in self.BLOCKS:
            out = int(filters * width_mult)
            layers += unit(channels, channels, 3, stride, groups=channels) + unit(channels, out, 1, 1)
            channels = out
        self.features = torch.nn.Sequential(*layers)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.classifier = torch.nn.Sequential(torch.nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


# Each with a width multiplier that keeps its files small.
MODELS = {
    "mobilenet_v1": (MobileNetV1, 0.25),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 0.35),
    "mobilenet_v3_large": (torchvision.models.mobilenet_v3_large, 0.35),
    "mobilenet_v3_small": (torchvision.models.mobilenet_v3_small, 0.5),
}

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def photos():
    """The photos' tensors, NCHW, normalised as torchvision's ImageNet weights expect."""
    nhwc = [numpy.fromfile(os.path.join(INPUTS, p + ".nhwc224.f32"), dtype="<f4").reshape(224, 224, 3) for p in PHOTOS]
    return (torch.from_numpy(numpy.stack(nhwc)).permute(0, 3, 1, 2) - MEAN) / STD


def network(make, width, seed, batch):
    torch.manual_seed(seed)
    net = make(width_mult=width, num_classes=CLASSES)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
                m.reset_running_stats()
                m.momentum = None
        net.train()
        net(batch)
        net.eval()
        # The photos' pooled features share a large common part, which alone would pick every
        # photo's class: the last layer's bias takes it away, so the classes follow what differs.
        last = net.classifier[-1]
        features = []
        hook = last.register_forward_hook(lambda module, args, out: features.append(args[0]))
        net(batch)
        hook.remove()
        last.bias -= last.weight @ features[0].mean(dim=0)
    return net


def preprocessing_reference():
    """torchvision's ImageNet preprocessing of a sample photo (PNG: no decoder differences), up to
    the normalisation: Resize(256), CenterCrop(224) on the PIL image, as bytes, HWC."""
    from PIL import Image
    from torchvision import transforms
    photo = os.path.join(HERE, "..", "..", "..", "..", "data-samples", "photos", "ski_coffee.png")
    image = transforms.CenterCrop(224)(transforms.Resize(256)(Image.open(photo).convert("RGB")))
    path = os.path.join(OUT, "ski_coffee.resize256.crop224.rgb")
    numpy.asarray(image, dtype=numpy.uint8).tofile(path)
    print("wrote", path, os.path.getsize(path), file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    preprocessing_reference()
    batch = photos()
    for name, (make, width) in MODELS.items():
        # The first seed whose network gives the photos at least 4 different top classes.
        for seed in range(1, 100):
            net = network(make, width, seed, batch)
            with torch.no_grad():
                top = net(batch).argmax(dim=1).tolist()
            if len(set(top)) >= 4:
                break
        print(name, "seed", seed, "top-1 classes of the photos:", top, file=sys.stderr)
        for suffix, mode in (("bn", torch.onnx.TrainingMode.PRESERVE), ("folded", torch.onnx.TrainingMode.EVAL)):
            path = os.path.join(OUT, "%s_%s_%s.onnx" % (name, width, suffix))
            torch.onnx.export(net, batch[:1], path, opset_version=OPSET, training=mode,
                              do_constant_folding=mode == torch.onnx.TrainingMode.EVAL,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
            print("wrote", path, os.path.getsize(path), file=sys.stderr)


if __name__ == "__main__":
    main()
