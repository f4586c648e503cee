package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.architecture.InvertedResidualBlocks;
import dev.mobilenetspark.model.architecture.LayerNames;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Keras MobileNetV2 (keras.applications layer names, as TensorFlow.js' converter keeps them)
 * onto this project's V2: the layer names are the builder's, so each Keras layer's weights go to
 * the layer of the same name, with TensorFlow's kernel layout converted to DL4J's. The topology
 * fixes the configuration: alpha from the last projection's width, the resolution from the input
 * shape, BatchNorm epsilon, and the classifier head from the Dense layers after the pooling
 * (hidden ones with ReLU, the last with softmax). Anything else in the topology is refused with
 * the layer's name.
 */
final class KerasImport {

    /** Layers that carry no weights and that the builder's V2 has (or, for the head, does not need). */
    private static final Set<String> WEIGHTLESS = Set.of("InputLayer", "ZeroPadding2D", "ReLU", "Add",
            "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Dropout", "Activation");

    /** keras.applications' MobileNetV2 (ReLU6, which the topology must have). */
    private static final InvertedResidualBlocks.Body V2 = InvertedResidualBlocks.v2(MobileNetConfig.Activation.RELU6);

    private static final int LAST_BLOCK = V2.blocks().size() - 1;

    /** The last block's projection: it marks a keras.applications V2, and its filters tell alpha. */
    private static final String LAST_PROJECTION = LayerNames.InvertedResidual.V2.project(LAST_BLOCK).conv();

    /** keras.applications' alphas for MobileNetV2. */
    private static final double[] ALPHAS = {0.35, 0.5, 0.75, 1.0, 1.3, 1.4};

    private KerasImport() {
    }

    /** The network the topology and {@code weights} describe, its weights loaded. */
    static ImportedNetwork load(NamedWeights weights, int sidecarResolution) throws ModelFileException {
        JsonNode modelConfig = weights.topology().has("model_config") ? weights.topology().get("model_config") : weights.topology();
        JsonNode layers = modelConfig.path("config").path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new ModelFileException("the model.json topology lists no layers");
        }
        MobileNetConfig config = configuration(layers, weights, sidecarResolution);
        ComputationGraph network = MobileNetBuilder.build(config, 0);
        ParamAssignment assignment = new ParamAssignment(network, config.summary());
        Set<String> used = new HashSet<>();
        List<String> dense = new ArrayList<>();
        for (JsonNode layer : layers) {
            String name = layer.path("config").path("name").asText(layer.path("name").asText());
            switch (layer.path("class_name").asText()) {
                case "Conv2D" -> assignment.set(name, "W", ParamAssignment.fromTensorFlowConvolution(tensor(weights, name, "kernel", used)), name + "/kernel");
                case "DepthwiseConv2D" -> assignment.set(name, "W", tensor(weights, name, "depthwise_kernel", used),
                        name + "/depthwise_kernel");
                case "BatchNormalization" -> {
                    assignment.set(name, "gamma", tensor(weights, name, "gamma", used), name + "/gamma");
                    assignment.set(name, "beta", tensor(weights, name, "beta", used), name + "/beta");
                    assignment.set(name, "mean", tensor(weights, name, "moving_mean", used), name + "/moving_mean");
                    assignment.set(name, "var", tensor(weights, name, "moving_variance", used), name + "/moving_variance");
                }
                case "Dense" -> dense.add(name);
                default -> {
                    // weightless layers were checked by configuration()
                }
            }
        }
        for (int i = 0; i < dense.size(); i++) {
            String ours = i == dense.size() - 1 ? LayerNames.PREDICTIONS : LayerNames.head(i + 1);
            assignment.set(ours, "W", tensor(weights, dense.get(i), "kernel", used), dense.get(i) + "/kernel");
            assignment.set(ours, "b", tensor(weights, dense.get(i), "bias", used), dense.get(i) + "/bias");
        }
        for (String name : weights.tensors().keySet()) {
            if (!used.contains(name)) {
                throw new ModelFileException("tensor '" + name + "' has no counterpart in " + config.summary());
            }
        }
        assignment.apply();
        return new ImportedNetwork(config, network);
    }

    private static INDArray tensor(NamedWeights weights, String layer, String weight,
                                                                Set<String> used) throws ModelFileException {
        String name = layer + "/" + weight;
        used.add(name);
        return weights.get(name);
    }

    private static MobileNetConfig configuration(JsonNode layers, NamedWeights weights, int sidecarResolution)
            throws ModelFileException {
        if (!weights.tensors().containsKey(LAST_PROJECTION + "/kernel")) {
            throw new ModelFileException("the Keras model is not a MobileNetV2 with keras.applications layer names "
                    + "(no " + LAST_PROJECTION + "); other topologies are not supported");
        }
        int resolution = sidecarResolution;
        double epsilon = 0;
        List<MobileNetConfig.HeadLayer> head = new ArrayList<>();
        int classes = 0;
        for (JsonNode layer : layers) {
            String kind = layer.path("class_name").asText();
            JsonNode c = layer.path("config");
            String name = c.path("name").asText();
            switch (kind) {
                case "InputLayer" -> {
                    JsonNode shape = c.path("batch_input_shape");
                    if (resolution == 0 && shape.size() == 4 && shape.get(1).isInt()) {
                        resolution = shape.get(1).asInt();
                    }
                }
                case "BatchNormalization" -> epsilon = c.path("epsilon").asDouble(1e-3);
                case "ReLU" -> {
                    if (c.path("max_value").asDouble() != 6) {
                        throw new ModelFileException("Keras layer '" + name + "' is a ReLU without max_value 6");
                    }
                }
                case "Dense" -> {
                    if (classes > 0) {
                        head.add(new MobileNetConfig.HeadLayer(classes, MobileNetConfig.Activation.RELU));
                    }
                    classes = c.path("units").asInt();
                    String activation = c.path("activation").asText();
                    boolean last = activation.equals("softmax");
                    if (!last && !activation.equals("relu")) {
                        throw new ModelFileException("Keras layer '" + name + "': a Dense layer of the head must use relu, "
                                + "or softmax for the last; got " + activation);
                    }
                }
                case "Conv2D", "DepthwiseConv2D" -> {
                    if (!c.path("activation").asText("linear").equals("linear") || c.path("use_bias").asBoolean(false)) {
                        throw new ModelFileException("Keras layer '" + name + "' has a bias or an activation of its own, "
                                + "which MobileNetV2 does not");
                    }
                }
                default -> {
                    if (!WEIGHTLESS.contains(kind)) {
                        throw new ModelFileException("Keras layer '" + name + "' (" + kind + ") has no counterpart in v2");
                    }
                }
            }
        }
        long projected = weights.get(LAST_PROJECTION + "/kernel").size(3);
        int inputSize = resolution == 0 ? 224 : resolution;
        double eps = epsilon == 0 ? 1e-3 : epsilon;
        int outputs = classes;
        MobileNetConfig base = MobileNetConfig.v1().with(c -> c.architecture(Architecture.V2).resolution(inputSize)
                .padding(MobileNetConfig.Padding.KERAS).batchNormEpsilon(eps).head(head, outputs));
        for (double alpha : ALPHAS) {
            MobileNetConfig candidate = base.with(c -> c.alpha(alpha));
            if (candidate.width(V2.blocks().get(LAST_BLOCK).out()) == projected) {
                return candidate;
            }
        }
        throw new ModelFileException(LAST_PROJECTION + " has " + projected + " filters, which no MobileNetV2 alpha ("
                + Arrays.toString(ALPHAS) + ") gives");
    }
}
