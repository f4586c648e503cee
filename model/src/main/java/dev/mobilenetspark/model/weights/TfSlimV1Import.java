package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.architecture.LayerNames;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.V1Blocks;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashSet;
import java.util.Set;

/**
 * TF-Slim's MobileNetV1 tensors ({@code MobilenetV1/Conv2d_0}, {@code Conv2d_i_depthwise},
 * {@code Conv2d_i_pointwise}, optionally {@code Logits/Conv2d_1c_1x1}) onto this project's V1:
 * TensorFlow 'same' padding, ReLU6, BatchNorm epsilon 0.001. Each convolution comes either with
 * its BatchNorm ({@code X/BatchNorm/gamma, beta, moving_mean, moving_variance}) or with the
 * BatchNorm already folded into its weights plus a {@code X/convolution_bn_offset}, as detectors
 * such as face-api ship them (whose stem is named {@code Conv2d_0_pointwise}). A folded offset
 * becomes a BatchNorm that adds it and changes nothing else (gamma 1, mean 0, variance
 * {@code 1 - epsilon}), so one network form holds both and the handler's folding serves both.
 * Tensors outside {@code MobilenetV1/} (a detector's box predictors, say) are not the backbone
 * and are left alone; an unknown tensor inside it is refused.
 */
final class TfSlimV1Import {

    static final String PREFIX = "MobilenetV1/";
    private static final double EPSILON = 1e-3;

    private TfSlimV1Import() {
    }

    /** Whether {@code weights} hold a TF-Slim MobileNetV1 backbone. */
    static boolean recognises(NamedWeights weights) {
        return weights.tensors().containsKey(PREFIX + "Conv2d_1_depthwise/depthwise_weights");
    }

    static ImportedNetwork load(NamedWeights weights, int sidecarResolution) throws ModelFileException {
        String stem = PREFIX + (weights.tensors().containsKey(PREFIX + "Conv2d_0/weights") ? "Conv2d_0" : "Conv2d_0_pointwise");
        long stemFilters = weights.get(stem + "/weights").size(3);
        String logits = PREFIX + "Logits/Conv2d_1c_1x1/";
        int classes = weights.tensors().containsKey(logits + "weights") ? (int) weights.get(logits + "weights").size(3) : 0;
        MobileNetConfig config = MobileNetConfig.v1()
                .with(c -> c.alpha((double) stemFilters / V1Blocks.STEM.filters()).resolution(sidecarResolution == 0 ? 224 : sidecarResolution).classes(classes));
        ComputationGraph network = MobileNetBuilder.build(config, 0);
        ParamAssignment assignment = new ParamAssignment(network, config.summary());
        Set<String> used = new HashSet<>();
        unit(weights, stem, "weights", LayerNames.v1Stem(), true, assignment, used);
        for (int i = 1; i <= V1Blocks.BODY.size(); i++) {
            unit(weights, PREFIX + "Conv2d_" + i + "_depthwise", "depthwise_weights", LayerNames.v1Depthwise(i), false, assignment, used);
            unit(weights, PREFIX + "Conv2d_" + i + "_pointwise", "weights", LayerNames.v1Pointwise(i), true, assignment, used);
        }
        if (classes > 0) {
            INDArray kernel = take(weights, logits + "weights", used);
            assignment.set(LayerNames.PREDICTIONS, "W", kernel.reshape(kernel.size(2), kernel.size(3)), logits + "weights");
            assignment.set(LayerNames.PREDICTIONS, "b", take(weights, logits + "biases", used),
                    logits + "biases");
        }
        for (String name : weights.tensors().keySet()) {
            if (name.startsWith(PREFIX) && !used.contains(name)) {
                throw new ModelFileException("tensor '" + name + "' has no counterpart in " + config.summary());
            }
        }
        assignment.apply();
        return new ImportedNetwork(config, network);
    }

    /** One convolution and its BatchNorm, stored or folded. */
    private static void unit(NamedWeights weights, String scope, String kernelName, LayerNames.Unit ours, boolean full,
                             ParamAssignment assignment, Set<String> used) throws ModelFileException {
        INDArray kernel = take(weights, scope + "/" + kernelName, used);
        assignment.set(ours.conv(), "W", full ? ParamAssignment.fromTensorFlowConvolution(kernel) : kernel, scope + "/" + kernelName);
        String bn = ours.batchNorm();
        String offset = scope + "/convolution_bn_offset";
        if (weights.tensors().containsKey(offset)) {
            INDArray beta = take(weights, offset, used);
            long c = beta.length();
            assignment.set(bn, "gamma", Nd4j.ones(beta.dataType(), c), offset);
            assignment.set(bn, "beta", beta, offset);
            assignment.set(bn, "mean", Nd4j.zeros(beta.dataType(), c), offset);
            assignment.set(bn, "var", Nd4j.valueArrayOf(new long[] {c}, 1 - EPSILON, beta.dataType()), offset);
            return;
        }
        String norm = scope + "/BatchNorm/";
        assignment.set(bn, "gamma", take(weights, norm + "gamma", used), norm + "gamma");
        assignment.set(bn, "beta", take(weights, norm + "beta", used), norm + "beta");
        assignment.set(bn, "mean", take(weights, norm + "moving_mean", used), norm + "moving_mean");
        assignment.set(bn, "var", take(weights, norm + "moving_variance", used), norm + "moving_variance");
    }

    private static INDArray take(NamedWeights weights, String name, Set<String> used) throws ModelFileException {
        used.add(name);
        return weights.get(name);
    }
}
