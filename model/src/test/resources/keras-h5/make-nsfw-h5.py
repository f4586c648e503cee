#!/usr/bin/python3
"""Writes nsfw-mobilenet_v2.h5: the nsfwjs MobileNetV2 of data-samples/models/mobilenet_v2_nsfw
as Keras 2 saves a whole model (model.save("m.h5")): the model_config attribute, and each layer's
weights under model_weights/LAYER/LAYER/NAME:0, dequantized exactly as TensorFlow.js does
(q * scale + min in double, rounded once to float32). Run from this folder with Debian's
python3-h5py and python3-numpy; the test reads the file it writes, not this script."""
import json
import pathlib

import h5py
import numpy as np

SOURCE = pathlib.Path(__file__).resolve().parents[5] / "data-samples" / "models" / "mobilenet_v2_nsfw"

model = json.loads((SOURCE / "model.json").read_text())
group = model["weightsManifest"][0]
data = b"".join((SOURCE / p).read_bytes() for p in group["paths"])
tensors, offset = {}, 0
for spec in group["weights"]:
    count = int(np.prod(spec["shape"], dtype=np.int64))
    q = spec["quantization"]
    assert q["dtype"] == "uint8"
    raw = np.frombuffer(data, dtype=np.uint8, count=count, offset=offset).astype(np.float64)
    tensors[spec["name"]] = (raw * q["scale"] + q["min"]).astype(np.float32).reshape(spec["shape"])
    offset += count
assert offset == len(data)

config = model["modelTopology"]["model_config"]
# The topology is over the 64 KB an attribute can hold in the oldest HDF5 layout.
with h5py.File("nsfw-mobilenet_v2.h5", "w", libver="latest") as h5:
    h5.attrs["keras_version"] = np.bytes_(model["modelTopology"]["keras_version"])
    h5.attrs["backend"] = np.bytes_("tensorflow")
    h5.attrs["model_config"] = np.bytes_(json.dumps(config))
    weights = h5.create_group("model_weights")
    layer_names = [layer["config"]["name"] for layer in config["config"]["layers"]]
    weights.attrs["layer_names"] = np.array([np.bytes_(n) for n in layer_names])
    for layer in layer_names:
        g = weights.create_group(layer)
        names = [n for n in tensors if n.split("/")[0] == layer]
        g.attrs["weight_names"] = np.array([np.bytes_(n + ":0") for n in names], dtype="S")
        for n in names:
            g.create_dataset(n + ":0", data=tensors[n], compression="gzip", compression_opts=9, shuffle=True)
