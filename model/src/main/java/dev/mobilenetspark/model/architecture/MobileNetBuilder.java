package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.layers.ActivationHardSigmoid;
import dev.mobilenetspark.model.layers.ActivationHardSwish;
import dev.mobilenetspark.model.layers.ChannelScaleVertex;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds a MobileNet as a DL4J {@link ComputationGraph} from the architecture tables
 * ({@link V1Blocks}, {@link V2Blocks}, {@link V3Blocks}): one loop over each family's rows, as
 * torchvision's mobilenetv2.py and mobilenetv3.py, on shared convolution units. The network is
 * NHWC throughout, like the TensorFlow weights it imports and the layout oneDNN prefers.
 *
 * <p>Layer names follow Keras' models so that weights map by name (the README lists them all):
 * V1 {@code conv1}, {@code conv_dw_i}, {@code conv_pw_i}; V2 {@code Conv1}, {@code bn_Conv1},
 * {@code expanded_conv_depthwise}, {@code block_i_expand}, ..., {@code Conv_1}, {@code out_relu};
 * V3 as Keras' MobileNetV3 with '/' written '_' ({@code expanded_conv_i_squeeze_excite_Conv}).
 * Then {@link #POOL}, for V3 the head {@code Conv_2}, the dense layers of a classifier head
 * ({@code head_1}, ...) if the configuration has one, and {@link #PREDICTIONS}. With folded
 * BatchNorm the BatchNorm and activation layers are absent: each convolution has a bias and
 * applies its activation itself. With Keras padding, stride-2 convolutions are preceded by a
 * zero-padding layer.
 */
public final class MobileNetBuilder {

    /** Input vertex name. */
    public static final String INPUT = "input";
    /** Global average pool of the last feature map: the embedding of V1 and V2. */
    public static final String POOL = "global_pool";
    /** V3's 1x1 head after the pool (a dense layer on the pooled vector): V3's embedding. */
    public static final String V3_HEAD = "Conv_2";
    /** Dense layers of a classifier head, {@code head_1}, {@code head_2}, ..., between the embedding and the classifier. */
    public static final String HEAD_PREFIX = "head_";
    /** Softmax classifier, present when the configuration has classes. */
    public static final String PREDICTIONS = "predictions";

    private static final CNN2DFormat FORMAT = CNN2DFormat.NHWC;
    private static final V3Blocks.Nonlinearity HARD_SWISH = V3Blocks.Nonlinearity.HARD_SWISH;

    /** Names of one convolution unit's vertices; {@code activation} is null for a linear unit. */
    private record Unit(String conv, String pad, String batchNorm, String activation) { }

    private final MobileNetConfig config;
    private final GraphBuilder graph;

    private MobileNetBuilder(MobileNetConfig config, long seed) {
        this.config = config;
        this.graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(config.resolution(), config.resolution(), 3, FORMAT));
    }

    /** The configuration of the network described by {@code config}. */
    public static ComputationGraphConfiguration configuration(MobileNetConfig config) {
        return configuration(config, 12345L);
    }

    /** As {@link #configuration(MobileNetConfig)}, with the seed of the random initial weights. */
    public static ComputationGraphConfiguration configuration(MobileNetConfig config, long seed) {
        return new MobileNetBuilder(config, seed).build();
    }

    /** A network with randomly initialised weights (seeded, so reproducible). */
    public static ComputationGraph build(MobileNetConfig config, long seed) {
        ComputationGraph net = new ComputationGraph(configuration(config, seed));
        net.init();
        return net;
    }

    /** The vertex whose output is the embedding: the pooled features, or V3's head after them. */
    public static String embeddingVertex(Architecture architecture) {
        return switch (architecture) {
            case V1, V1_FULLCONV, V2 -> POOL;
            case V3_LARGE, V3_SMALL -> V3_HEAD;
        };
    }

    private ComputationGraphConfiguration build() {
        String features = switch (config.architecture()) {
            case V1, V1_FULLCONV -> v1Body();
            case V2 -> v2Body();
            case V3_LARGE -> v3Body(V3Blocks.LARGE);
            case V3_SMALL -> v3Body(V3Blocks.SMALL);
        };
        graph.addLayer(POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .poolingDimensions(1, 2)
                .collapseDimensions(true)
                .build(), features);
        String embedding = embeddingVertex(config.architecture());
        if (embedding.equals(V3_HEAD)) {
            int head = config.width(config.architecture() == Architecture.V3_LARGE ? V3Blocks.LARGE.head() : V3Blocks.SMALL.head());
            graph.addLayer(V3_HEAD, new DenseLayer.Builder().nOut(head).hasBias(true)
                    .activation(v3Activation(HARD_SWISH)).build(), POOL);
        }
        if (config.hasClassifier()) {
            String x = embedding;
            int index = 1;
            for (MobileNetConfig.HeadLayer layer : config.head()) {
                String name = HEAD_PREFIX + index++;
                graph.addLayer(name, new DenseLayer.Builder().nOut(layer.units()).hasBias(true)
                        .activation(activation(layer.activation())).build(), x);
                x = name;
            }
            graph.addLayer(PREDICTIONS, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .nOut(config.classes())
                    .activation(new ActivationSoftmax())
                    .build(), x);
            graph.setOutputs(PREDICTIONS, embedding);
        } else {
            graph.setOutputs(embedding);
        }
        return graph.build();
    }

    /** V1: the stem, then per row a depthwise and a pointwise unit (or one full 3x3 convolution). */
    private String v1Body() {
        String x = conv(INPUT, v1Unit("conv1"), 3, config.width(V1Blocks.STEM.filters()), V1Blocks.STEM.stride(), activation());
        int block = 1;
        for (V1Blocks.Block row : V1Blocks.BODY) {
            int filters = config.width(row.filters());
            if (config.architecture() == Architecture.V1_FULLCONV) {
                x = conv(x, v1Unit("conv_" + block), 3, filters, row.stride(), activation());
            } else {
                x = depthwise(x, v1Unit("conv_dw_" + block), 3, row.stride(), activation());
                x = conv(x, v1Unit("conv_pw_" + block), 1, filters, 1, activation());
            }
            block++;
        }
        return x;
    }

    private static Unit v1Unit(String conv) {
        return new Unit(conv, conv + "_pad", conv + "_bn", conv + "_relu");
    }

    /**
     * V2: the stem, then the rows of inverted residual blocks (expand, depthwise, linear
     * projection, add when the shape is kept), then the last 1x1 convolution.
     */
    private String v2Body() {
        int channels = config.width(V2Blocks.STEM);
        String x = conv(INPUT, new Unit("Conv1", "Conv1_pad", "bn_Conv1", "Conv1_relu"), 3, channels, 2, activation());
        int block = 0;
        for (V2Blocks.Row row : V2Blocks.BODY) {
            int out = config.width(row.channels());
            for (int i = 0; i < row.repeats(); i++) {
                int stride = i == 0 ? row.stride() : 1;
                String prefix = block == 0 ? "expanded_conv_" : "block_" + block + "_";
                String in = x;
                if (row.expansion() != 1) {
                    x = conv(x, v2Unit(prefix, "expand"), 1, channels * row.expansion(), 1, activation());
                }
                x = depthwise(x, v2Unit(prefix, "depthwise"), 3, stride, activation());
                x = conv(x, v2Unit(prefix, "project"), 1, out, 1, null);
                if (stride == 1 && channels == out) {
                    x = add(prefix + "add", in, x);
                }
                channels = out;
                block++;
            }
        }
        return conv(x, new Unit("Conv_1", "Conv_1_pad", "Conv_1_bn", "out_relu"), 1,
                config.widthNeverReduced(V2Blocks.LAST), 1, activation());
    }

    private static Unit v2Unit(String prefix, String part) {
        return new Unit(prefix + part, prefix + "pad", prefix + part + "_BN", prefix + part + "_relu");
    }

    /**
     * V3: the stem, then one block per row (expand unless the expansion equals the input,
     * depthwise, squeeze-and-excite, linear projection, add when the shape is kept), then the
     * last 1x1 convolution.
     */
    private String v3Body(V3Blocks.Spec spec) {
        int channels = config.width(V3Blocks.STEM);
        String x = conv(INPUT, v3Unit("", "Conv", HARD_SWISH), 3, channels, 2, v3Activation(HARD_SWISH));
        int block = 0;
        for (V3Blocks.Block row : spec.blocks()) {
            String prefix = block == 0 ? "expanded_conv_" : "expanded_conv_" + block + "_";
            int expanded = config.width(row.expansion());
            int out = config.width(row.out());
            String in = x;
            if (expanded != channels) {
                x = conv(x, v3Unit(prefix, "expand", row.nonlinearity()), 1, expanded, 1, v3Activation(row.nonlinearity()));
            }
            x = depthwise(x, v3Unit(prefix, "depthwise", row.nonlinearity()), row.kernel(), row.stride(),
                    v3Activation(row.nonlinearity()));
            if (row.squeezeExcite()) {
                x = squeezeExcite(x, prefix + "squeeze_excite_", expanded);
            }
            x = conv(x, v3Unit(prefix, "project", null), 1, out, 1, null);
            if (row.stride() == 1 && channels == out) {
                x = add(prefix + "Add", in, x);
            }
            channels = out;
            block++;
        }
        return conv(x, v3Unit("", "Conv_1", HARD_SWISH), 1, config.width(spec.lastConv()), 1, v3Activation(HARD_SWISH));
    }

    /** Names of a V3 unit; a linear unit ({@code nonlinearity == null}) has no activation layer. */
    private static Unit v3Unit(String prefix, String part, V3Blocks.Nonlinearity nonlinearity) {
        String activation = nonlinearity == null ? null
                : prefix + part + (nonlinearity == HARD_SWISH ? "_hard_swish" : "_relu");
        return new Unit(prefix + part, prefix + part + "_pad", prefix + part + "_BatchNorm", activation);
    }

    private static IActivation v3Activation(V3Blocks.Nonlinearity nonlinearity) {
        return nonlinearity == HARD_SWISH ? new ActivationHardSwish() : new ActivationReLU();
    }

    /**
     * Squeeze-and-excite: global average pool, a reducing 1x1 convolution with ReLU and an
     * expanding one with hard-sigmoid (both with bias, as dense layers on the pooled vector),
     * then each channel of {@code in} scaled by its gate.
     */
    private String squeezeExcite(String in, String prefix, int channels) {
        graph.addLayer(prefix + "AvgPool", new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .poolingDimensions(1, 2)
                .collapseDimensions(true)
                .build(), in);
        graph.addLayer(prefix + "Conv", new DenseLayer.Builder()
                .nOut(MobileNetConfig.makeDivisible(channels / 4))
                .hasBias(true)
                .activation(new ActivationReLU())
                .build(), prefix + "AvgPool");
        graph.addLayer(prefix + "Conv_1", new DenseLayer.Builder()
                .nOut(channels)
                .hasBias(true)
                .activation(new ActivationHardSigmoid())
                .build(), prefix + "Conv");
        graph.addVertex(prefix + "Mul", new ChannelScaleVertex(), in, prefix + "Conv_1");
        return prefix + "Mul";
    }

    private String add(String name, String a, String b) {
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a, b);
        return name;
    }

    /** A full convolution unit; returns the name of its last vertex. */
    private String conv(String in, Unit unit, int kernel, int filters, int stride, IActivation activation) {
        return unit(in, unit, kernel, stride, activation, new ConvolutionLayer.Builder(kernel, kernel)
                .nOut(filters)
                .dataFormat(FORMAT));
    }

    /** A depthwise unit (channel multiplier 1); returns the name of its last vertex. */
    private String depthwise(String in, Unit unit, int kernel, int stride, IActivation activation) {
        return unit(in, unit, kernel, stride, activation, new DepthwiseConvolution2D.Builder(kernel, kernel)
                .depthMultiplier(1)
                // DL4J takes the depthwise fan-in over all channels, which shrinks a random
                // network's activations by sqrt(C) per block until every output is ~0; a
                // depthwise filter sees one channel, so He init uses kernel area alone.
                .weightInit(new NormalDistribution(0, Math.sqrt(2.0 / (kernel * kernel))))
                .dataFormat(FORMAT));
    }

    /**
     * Padding if the convention needs it, the convolution, then its BatchNorm and activation
     * (none for a linear unit, {@code activation == null}).
     */
    private String unit(String in, Unit unit, int kernel, int stride, IActivation activation,
                        ConvolutionLayer.BaseConvBuilder<?> convolution) {
        String x = pad(in, unit.pad(), kernel, stride);
        boolean folded = config.foldedBatchNorm();
        graph.addLayer(unit.conv(), convolution
                .stride(stride, stride)
                .convolutionMode(convolutionMode(stride))
                .hasBias(folded)
                .activation(folded && activation != null ? activation : new ActivationIdentity())
                .build(), x);
        if (folded) {
            return unit.conv();
        }
        graph.addLayer(unit.batchNorm(), new BatchNormalization.Builder()
                .eps(config.batchNormEpsilon())
                .useLogStd(false)
                .dataFormat(FORMAT)
                .build(), unit.conv());
        if (activation == null) {
            return unit.batchNorm();
        }
        // Its own layer: DL4J's BatchNormalization ignores .activation(...).
        graph.addLayer(unit.activation(), new ActivationLayer.Builder().activation(activation).build(), unit.batchNorm());
        return unit.activation();
    }

    /**
     * Keras pads a stride-2 layer with {@code k/2 - 1} rows and columns before and {@code k/2}
     * after (its correct_pad), then convolves 'valid': TensorFlow's 'same' on even sizes.
     */
    private String pad(String in, String name, int kernel, int stride) {
        if (stride == 1 || config.padding() == MobileNetConfig.Padding.SAME) {
            return in;
        }
        int before = kernel / 2 - 1;
        int after = kernel / 2;
        graph.addLayer(name, new ZeroPaddingLayer.Builder(before, after, before, after).dataFormat(FORMAT).build(), in);
        return name;
    }

    private ConvolutionMode convolutionMode(int stride) {
        return stride > 1 && config.padding() == MobileNetConfig.Padding.KERAS ? ConvolutionMode.Truncate : ConvolutionMode.Same;
    }

    /** V1's and V2's non-linearity, from the configuration. */
    private IActivation activation() {
        return activation(config.activation());
    }

    private static IActivation activation(MobileNetConfig.Activation activation) {
        return activation == MobileNetConfig.Activation.RELU6 ? new ActivationReLU6() : new ActivationReLU();
    }
}
