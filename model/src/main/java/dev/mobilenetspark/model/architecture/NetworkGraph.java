package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.layers.ChannelScaleVertex;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.util.GraphIndices;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one walk over a built MobileNet graph: its vertices in execution order, each with its
 * kind, inputs and activation types for the NHWC input of the model's resolution. The native
 * forward pass, the cost report and BatchNorm folding all read the network through this, so a
 * vertex kind is recognised in one place. The network need not be initialised.
 */
public final class NetworkGraph {

    /** What a vertex computes; every vertex the builder makes has one of these. */
    public enum Kind {
        CONVOLUTION, DEPTHWISE_CONVOLUTION, BATCH_NORM, ACTIVATION, ZERO_PADDING, GLOBAL_AVERAGE_POOL, DENSE, ADD,
        CHANNEL_SCALE
    }

    /**
     * One vertex: {@code layer} is its DL4J layer configuration (null for the add and scale
     * vertices), {@code input} the activation type of its first input.
     */
    public record Vertex(String name, Kind kind, List<String> inputs, Layer layer, InputType input, InputType output) {

        /** [1, H, W, C] or [1, size]: the output's shape for one image. */
        public long[] shape() {
            return shapeOf(output);
        }

        /** [1, H, W, C] or [1, size] of the first input. */
        public long[] inputShape() {
            return shapeOf(input);
        }

        /** The length of a flat output (a pooled or dense layer's). */
        public int outputSize() {
            return (int) ((InputType.InputTypeFeedForward) output).getSize();
        }
    }

    /** The kind of each layer class, subclasses before their parents (a depthwise layer is a ConvolutionLayer). */
    private static final List<Map.Entry<Class<? extends Layer>, Kind>> LAYER_KINDS = List.of(
            Map.entry(DepthwiseConvolution2D.class, Kind.DEPTHWISE_CONVOLUTION),
            Map.entry(ConvolutionLayer.class, Kind.CONVOLUTION),
            Map.entry(BatchNormalization.class, Kind.BATCH_NORM),
            Map.entry(ActivationLayer.class, Kind.ACTIVATION),
            Map.entry(ZeroPaddingLayer.class, Kind.ZERO_PADDING),
            Map.entry(GlobalPoolingLayer.class, Kind.GLOBAL_AVERAGE_POOL),
            Map.entry(FeedForwardLayer.class, Kind.DENSE));

    private final Map<String, Vertex> vertices;
    private final List<String> outputs;

    private NetworkGraph(Map<String, Vertex> vertices, List<String> outputs) {
        this.vertices = vertices;
        this.outputs = outputs;
    }

    /** The NHWC input of a network at {@code resolution}: the one form every MobileNet here takes. */
    public static InputType input(int resolution) {
        return InputType.convolutional(resolution, resolution, 3, CNN2DFormat.NHWC);
    }

    public static NetworkGraph of(ComputationGraph network, int resolution) {
        ComputationGraphConfiguration conf = network.getConfiguration();
        InputType input = input(resolution);
        Map<String, InputType> types = conf.getLayerActivationTypes(input);
        GraphIndices indices = network.calculateIndices();
        Map<String, Vertex> vertices = new LinkedHashMap<>();
        for (int index : indices.getTopologicalSortOrder()) {
            String name = indices.getIdxToName().get(index);
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue;
            }
            List<String> inputs = List.copyOf(conf.getVertexInputs().get(name));
            Layer layer = vertex instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
            InputType in = inputs.get(0).equals(LayerNames.INPUT) ? input : types.get(inputs.get(0));
            vertices.put(name, new Vertex(name, kind(name, vertex, layer), inputs, layer, in, types.get(name)));
        }
        return new NetworkGraph(vertices, List.copyOf(conf.getNetworkOutputs()));
    }

    /** Every vertex but the input, in an order in which each comes after its inputs. */
    public List<Vertex> vertices() {
        return new ArrayList<>(vertices.values());
    }

    public Vertex vertex(String name) {
        Vertex v = vertices.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the network has no vertex '" + name + "'");
        }
        return v;
    }

    /** The graph's outputs, in order: the predictions (with a classifier), then the embedding. */
    public List<String> outputs() {
        return outputs;
    }

    private static Kind kind(String name, GraphVertex vertex, Layer layer) {
        if (vertex instanceof ElementWiseVertex e && e.getOp() == ElementWiseVertex.Op.Add) {
            return Kind.ADD;
        }
        if (vertex instanceof ChannelScaleVertex) {
            return Kind.CHANNEL_SCALE;
        }
        boolean averagePool = !(layer instanceof GlobalPoolingLayer g) || g.getPoolingType() == PoolingType.AVG;
        for (Map.Entry<Class<? extends Layer>, Kind> entry : LAYER_KINDS) {
            if (entry.getKey().isInstance(layer) && averagePool) {
                return entry.getValue();
            }
        }
        throw new IllegalArgumentException("vertex " + name + " (" + (layer != null ? layer.getClass().getSimpleName() : vertex)
                + ") is none of the kinds a MobileNet is built from");
    }

    private static long[] shapeOf(InputType type) {
        if (type instanceof InputType.InputTypeConvolutional c) {
            return new long[] {1, c.getHeight(), c.getWidth(), c.getChannels()};
        }
        if (type instanceof InputType.InputTypeFeedForward f) {
            return new long[] {1, f.getSize()};
        }
        throw new IllegalArgumentException("no shape for activations of type " + type);
    }
}
