package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.ModelFileException;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Imported values for a freshly built network, each checked against the parameter it replaces
 * when it is added and written only by {@link #apply()}, once every value has been checked: a
 * network is never loaded half-way. Also checks that every parameter got a value.
 */
final class ParamAssignment {

    private record Value(Layer layer, String param, INDArray value) { }

    private final ComputationGraph network;
    private final String model;
    private final List<Value> values = new ArrayList<>();

    /** @param model how the network is named in messages, e.g. "v2 alpha=1.0 resolution=224" */
    ParamAssignment(ComputationGraph network, String model) {
        this.network = network;
        this.model = model;
    }

    /** A TensorFlow convolution kernel [kh, kw, in, out] in DL4J's layout [out, in, kh, kw]. */
    static INDArray fromTensorFlowConvolution(INDArray kernel) {
        return kernel.permute(3, 2, 0, 1).dup('c');
    }

    /** Queues {@code value} (already in DL4J's layout) for {@code layer}'s parameter {@code param}. */
    void set(String layer, String param, INDArray value, String source) throws ModelFileException {
        Layer target = network.getConfiguration().getVertices().containsKey(layer) ? network.getLayer(layer) : null;
        if (target == null || !target.paramTable().containsKey(param)) {
            throw new ModelFileException(source + " has no counterpart in " + model + " (no parameter " + param
                    + " in a layer '" + layer + "')");
        }
        long[] expected = target.getParam(param).shape();
        if (!Arrays.equals(expected, value.shape()) && isVector(expected) && isVector(value.shape())
                && value.length() == target.getParam(param).length()) {
            value = value.reshape(expected);
        }
        if (!Arrays.equals(expected, value.shape())) {
            throw new ModelFileException("layer '" + layer + "': " + source + " has shape " + Arrays.toString(value.shape())
                    + " where " + model + " has " + Arrays.toString(expected));
        }
        values.add(new Value(target, param, value));
    }

    /** Vectors are [n] in TensorFlow and often [1, n] in DL4J: the same values. */
    private static boolean isVector(long[] shape) {
        return shape.length == 1 || shape.length == 2 && shape[0] == 1;
    }

    /** Writes every queued value, after checking that no parameter of the network was left out. */
    void apply() throws ModelFileException {
        Set<String> missing = new LinkedHashSet<>();
        for (Layer layer : network.getLayers()) {
            for (String param : layer.paramTable().keySet()) {
                String name = layer.conf().getLayer().getLayerName();
                if (values.stream().noneMatch(v -> v.layer() == layer && v.param().equals(param))) {
                    missing.add(name + "/" + param);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelFileException("the weights have nothing for " + missing.size() + " parameters of " + model
                    + ", the first " + missing.iterator().next());
        }
        for (Value v : values) {
            v.layer().setParam(v.param(), v.value());
        }
    }
}
