package dev.mobilenetspark.model.cost;

import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.NetworkGraph;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
     * Reads the costs of {@code net} for an input of {@code resolution} pixels. The network need
     * not be initialised: no parameters are allocated.
     */
    public static CostReport of(ComputationGraph net, int resolution) {
        List<Row> rows = new ArrayList<>();
        for (NetworkGraph.Vertex v : NetworkGraph.of(net, resolution).vertices()) {
            Layer layer = v.layer();
            long params = layer == null ? 0 : layer.initializer().numParams(layer);
            long weights = weights(v);
            rows.add(new Row(v.name(), kind(v), shape(v.output()), params, weights, multAdds(weights, v.output())));
        }
        return new CostReport(rows);
    }

    /** The costs of the network {@code config} describes, without allocating its weights. */
    public static CostReport of(MobileNetConfig config) {
        return of(new ComputationGraph(MobileNetBuilder.configuration(config)), config.resolution());
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

    private static String kind(NetworkGraph.Vertex v) {
        return switch (v.kind()) {
            case DEPTHWISE_CONVOLUTION -> "dwconv " + kernel((ConvolutionLayer) v.layer());
            case CONVOLUTION -> "conv " + kernel((ConvolutionLayer) v.layer());
            case BATCH_NORM -> "batchnorm";
            case ACTIVATION -> ((ActivationLayer) v.layer()).getActivationFn().toString().toLowerCase(Locale.ROOT);
            case GLOBAL_AVERAGE_POOL -> "global avg pool";
            case ZERO_PADDING -> "zero padding";
            case DENSE -> "dense " + ((FeedForwardLayer) v.layer()).getActivationFn().toString().toLowerCase(Locale.ROOT);
            case ADD -> "add";
            case CHANNEL_SCALE -> "channel scale";
        };
    }

    private static String kernel(ConvolutionLayer c) {
        return c.getKernelSize()[0] + "x" + c.getKernelSize()[1] + "/" + c.getStride()[0];
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

    private static long weights(NetworkGraph.Vertex v) {
        return switch (v.kind()) {
            case DEPTHWISE_CONVOLUTION -> {
                DepthwiseConvolution2D dw = (DepthwiseConvolution2D) v.layer();
                yield kernelArea(dw) * dw.getNIn() * dw.getDepthMultiplier();
            }
            case CONVOLUTION -> {
                ConvolutionLayer c = (ConvolutionLayer) v.layer();
                yield kernelArea(c) * c.getNIn() * c.getNOut();
            }
            case DENSE -> {
                FeedForwardLayer f = (FeedForwardLayer) v.layer();
                yield f.getNIn() * f.getNOut();
            }
            default -> 0;
        };
    }

    /** Every kernel weight is applied once per output position. */
    private static long multAdds(long weights, InputType out) {
        if (out instanceof InputType.InputTypeConvolutional c) {
            return weights * c.getHeight() * c.getWidth();
        }
        return weights;
    }

    private static long kernelArea(ConvolutionLayer c) {
        return (long) c.getKernelSize()[0] * c.getKernelSize()[1];
    }
}
