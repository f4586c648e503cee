package dev.mobilenetspark.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import dev.mobilenetspark.model.layers.ChannelScaleVertex;
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
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.util.GraphIndices;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-layer output shape, parameters and mult-adds of a built network, read from its layer
 * configurations (not from a formula beside the builder, so it cannot drift from what runs).
 * Residual adds and squeeze-and-excite scaling have rows but no cost.
 * Mult-adds count convolutions and dense layers, as the papers do; "weights" are convolution and
 * dense kernels without biases or BatchNorm, the papers' parameter count; "params" is everything
 * DL4J stores, which equals Keras' total.
 */
public record CostReport(List<Row> rows) {

    /** One layer: its name, kind, output shape (HxWxC or C), and costs. */
    public record Row(String name, String kind, String output, long params, long weights, long multAdds) { }

    public CostReport {
        rows = List.copyOf(rows);
    }

    /**
     * Reads the costs of {@code net} for an input of {@code input}'s shape. The network need not
     * be initialised: no parameters are allocated.
     */
    public static CostReport of(ComputationGraph net, InputType input) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        Map<String, InputType> outputs = conf.getLayerActivationTypes(input);
        Map<String, GraphVertex> vertices = conf.getVertices();
        GraphIndices indices = net.calculateIndices();
        List<Row> rows = new ArrayList<>();
        for (int index : indices.getTopologicalSortOrder()) {
            String name = indices.getIdxToName().get(index);
            GraphVertex vertex = vertices.get(name);
            InputType out = outputs.get(name);
            if (vertex instanceof LayerVertex lv) {
                Layer layer = lv.getLayerConf().getLayer();
                rows.add(new Row(name, kind(layer), shape(out), layer.initializer().numParams(layer),
                        weights(layer), multAdds(layer, out)));
            } else if (vertex instanceof ElementWiseVertex e) {
                rows.add(new Row(name, e.getOp().name().toLowerCase(Locale.ROOT), shape(out), 0, 0, 0));
            } else if (vertex instanceof ChannelScaleVertex) {
                rows.add(new Row(name, "channel scale", shape(out), 0, 0, 0));
            }
        }
        return new CostReport(rows);
    }

    public long params() {
        return rows.stream().mapToLong(Row::params).sum();
    }

    public long weights() {
        return rows.stream().mapToLong(Row::weights).sum();
    }

    public long multAdds() {
        return rows.stream().mapToLong(Row::multAdds).sum();
    }

    /** The machine-readable last line: {@code TOTAL params=... weights=... mult_adds=...}. */
    public String totalLine() {
        return "TOTAL params=" + params() + " weights=" + weights() + " mult_adds=" + multAdds();
    }

    /** A table like Keras' model.summary(), ending with {@link #totalLine()}. */
    public String format() {
        int nameWidth = Math.max(5, rows.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        int kindWidth = Math.max(4, rows.stream().mapToInt(r -> r.kind().length()).max().orElse(0));
        String rowFormat = "%-" + nameWidth + "s  %-" + kindWidth + "s  %-14s  %12s  %12s  %14s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, rowFormat, "layer", "kind", "output", "params", "weights", "mult-adds"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, rowFormat, r.name(), r.kind(), r.output(),
                    r.params(), r.weights(), r.multAdds()));
        }
        sb.append(String.format(Locale.ROOT, rowFormat, "total", "", "", params(), weights(), multAdds()));
        sb.append(totalLine()).append(System.lineSeparator());
        return sb.toString();
    }

    private static String kind(Layer layer) {
        if (layer instanceof DepthwiseConvolution2D dw) {
            return "dwconv " + dw.getKernelSize()[0] + "x" + dw.getKernelSize()[1] + "/" + dw.getStride()[0];
        }
        if (layer instanceof ConvolutionLayer c) {
            return "conv " + c.getKernelSize()[0] + "x" + c.getKernelSize()[1] + "/" + c.getStride()[0];
        }
        if (layer instanceof BatchNormalization) {
            return "batchnorm";
        }
        if (layer instanceof ActivationLayer a) {
            return a.getActivationFn().toString().toLowerCase(Locale.ROOT);
        }
        if (layer instanceof GlobalPoolingLayer g) {
            return "global " + g.getPoolingType().name().toLowerCase(Locale.ROOT) + " pool";
        }
        if (layer instanceof ZeroPaddingLayer) {
            return "zero padding";
        }
        if (layer instanceof FeedForwardLayer f) {
            return "dense " + f.getActivationFn().toString().toLowerCase(Locale.ROOT);
        }
        return layer.getClass().getSimpleName();
    }

    private static String shape(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return c.getHeight() + "x" + c.getWidth() + "x" + c.getChannels();
        }
        if (t instanceof InputType.InputTypeFeedForward f) {
            return Long.toString(f.getSize());
        }
        return t.toString();
    }

    private static long weights(Layer layer) {
        if (layer instanceof DepthwiseConvolution2D dw) {
            return kernelArea(dw) * dw.getNIn() * dw.getDepthMultiplier();
        }
        if (layer instanceof ConvolutionLayer c) {
            return kernelArea(c) * c.getNIn() * c.getNOut();
        }
        if (layer instanceof FeedForwardLayer f && !(layer instanceof BatchNormalization)) {
            return f.getNIn() * f.getNOut();
        }
        return 0;
    }

    /** Every kernel weight is applied once per output position. */
    private static long multAdds(Layer layer, InputType out) {
        long weights = weights(layer);
        if (weights == 0) {
            return 0;
        }
        if (out instanceof InputType.InputTypeConvolutional c) {
            return weights * c.getHeight() * c.getWidth();
        }
        return weights;
    }

    private static long kernelArea(ConvolutionLayer c) {
        return (long) c.getKernelSize()[0] * c.getKernelSize()[1];
    }
}
