package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.layers.ActivationHardSigmoid;
import dev.mobilenetspark.model.layers.ActivationHardSwish;
import dev.mobilenetspark.model.layers.ChannelScaleVertex;

import dev.mobilenetspark.model.architecture.LayerNames.InvertedResidual;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
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
 * ({@link V1Blocks}, {@link InvertedResidualBlocks}): one loop over the rows, as torchvision's
 * mobilenetv2.py and mobilenetv3.py, on shared convolution units. The network is NHWC
 * throughout, like the TensorFlow weights it imports and the layout oneDNN prefers.
 *
 * <p>Layer names are Keras', from {@link LayerNames}, so that weights map by name. With folded
 * BatchNorm the BatchNorm and activation layers are absent: each convolution has a bias and
 * applies its activation itself. With Keras or PyTorch padding, stride-2 convolutions are
 * preceded by a zero-padding layer.
 */
public final class MobileNetBuilder {

    private static final CNN2DFormat FORMAT = CNN2DFormat.NHWC;

    private final MobileNetConfig config;
    private final GraphBuilder graph;

    private MobileNetBuilder(MobileNetConfig config, long seed) {
        this.config = config;
        this.graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs(LayerNames.INPUT)
                .setInputTypes(NetworkGraph.input(config.resolution()));
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
            case V1, V1_FULLCONV, V2 -> LayerNames.POOL;
            case V3_LARGE, V3_SMALL -> LayerNames.V3_HEAD;
        };
    }

    private ComputationGraphConfiguration build() {
        String embedding = switch (config.architecture()) {
            case V1, V1_FULLCONV -> pool(v1Body());
            case V2 -> invertedResidualNetwork(InvertedResidualBlocks.v2(config.activation()), InvertedResidual.V2);
            case V3_LARGE -> invertedResidualNetwork(InvertedResidualBlocks.V3_LARGE, InvertedResidual.V3);
            case V3_SMALL -> invertedResidualNetwork(InvertedResidualBlocks.V3_SMALL, InvertedResidual.V3);
        };
        if (config.hasClassifier()) {
            String x = embedding;
            int index = 1;
            for (MobileNetConfig.HeadLayer layer : config.head()) {
                String name = LayerNames.head(index++);
                graph.addLayer(name, new DenseLayer.Builder().nOut(layer.units()).hasBias(true)
                        .activation(activation(layer.activation())).build(), x);
                x = name;
            }
            graph.addLayer(LayerNames.PREDICTIONS, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .nOut(config.classes())
                    .activation(new ActivationSoftmax())
                    .build(), x);
            graph.setOutputs(LayerNames.PREDICTIONS, embedding);
        } else {
            graph.setOutputs(embedding);
        }
        return graph.build();
    }

    private String pool(String in) {
        graph.addLayer(LayerNames.POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .poolingDimensions(1, 2)
                .collapseDimensions(true)
                .build(), in);
        return LayerNames.POOL;
    }

    /** V1: the stem, then per row a depthwise and a pointwise unit (or one full 3x3 convolution). */
    private String v1Body() {
        String x = conv(LayerNames.INPUT, LayerNames.v1Stem(), 3, config.width(V1Blocks.STEM.filters()),
                V1Blocks.STEM.stride(), activation());
        int block = 1;
        for (V1Blocks.Block row : V1Blocks.BODY) {
            int filters = config.width(row.filters());
            if (config.architecture() == Architecture.V1_FULLCONV) {
                x = conv(x, LayerNames.v1FullConv(block), 3, filters, row.stride(), activation());
            } else {
                x = depthwise(x, LayerNames.v1Depthwise(block), 3, row.stride(), activation());
                x = conv(x, LayerNames.v1Pointwise(block), 1, filters, 1, activation());
            }
            block++;
        }
        return x;
    }

    /**
     * V2 and V3: the stem, one inverted residual block per row, the last 1x1 convolution, the
     * pool and, if the body has one, the head; returns the embedding's vertex.
     */
    private String invertedResidualNetwork(InvertedResidualBlocks.Body body, InvertedResidual names) {
        int channels = config.width(body.stem());
        String x = conv(LayerNames.INPUT, names.stem(body.nonlinearity()), 3, channels, 2,
                activation(body.nonlinearity()));
        for (int i = 0; i < body.blocks().size(); i++) {
            InvertedResidualBlocks.Block row = body.blocks().get(i);
            int expanded = switch (body.expansion()) {
                case FACTOR -> channels * row.expansion();
                case CHANNELS -> config.width(row.expansion());
            };
            int out = config.width(row.out());
            x = invertedResidual(x, names, i, row, channels, expanded, out);
            channels = out;
        }
        int last = body.lastConvNeverReduced() ? config.widthNeverReduced(body.lastConv()) : config.width(body.lastConv());
        x = pool(conv(x, names.lastConv(body.nonlinearity()), 1, last, 1, activation(body.nonlinearity())));
        if (body.head() == 0) {
            return x;
        }
        graph.addLayer(LayerNames.V3_HEAD, new DenseLayer.Builder().nOut(config.width(body.head())).hasBias(true)
                .activation(activation(body.nonlinearity())).build(), x);
        return LayerNames.V3_HEAD;
    }

    /**
     * One inverted residual block: expand (unless the expansion equals the input), depthwise,
     * squeeze-and-excite if the row has it, linear projection, and the residual add when the
     * shape is kept.
     */
    private String invertedResidual(String in, InvertedResidual names, int block, InvertedResidualBlocks.Block row,
                                    int channels, int expanded, int out) {
        String x = in;
        if (expanded != channels) {
            x = conv(x, names.expand(block, row.nonlinearity()), 1, expanded, 1, activation(row.nonlinearity()));
        }
        x = depthwise(x, names.depthwise(block, row.nonlinearity()), row.kernel(), row.stride(),
                activation(row.nonlinearity()));
        if (row.squeezeExcite()) {
            x = squeezeExcite(x, names.squeezeExcite(block), expanded);
        }
        x = conv(x, names.project(block), 1, out, 1, null);
        if (row.stride() == 1 && channels == out) {
            x = add(names.add(block), in, x);
        }
        return x;
    }

    /**
     * Squeeze-and-excite: global average pool, a reducing 1x1 convolution with ReLU and an
     * expanding one with hard-sigmoid (both with bias, as dense layers on the pooled vector),
     * then each channel of {@code in} scaled by its gate.
     */
    private String squeezeExcite(String in, LayerNames.SqueezeExcite names, int channels) {
        graph.addLayer(names.pool(), new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .poolingDimensions(1, 2)
                .collapseDimensions(true)
                .build(), in);
        graph.addLayer(names.reduce(), new DenseLayer.Builder()
                .nOut(MobileNetConfig.makeDivisible(channels / 4))
                .hasBias(true)
                .activation(new ActivationReLU())
                .build(), names.pool());
        graph.addLayer(names.expand(), new DenseLayer.Builder()
                .nOut(channels)
                .hasBias(true)
                .activation(new ActivationHardSigmoid())
                .build(), names.reduce());
        graph.addVertex(names.scale(), new ChannelScaleVertex(), in, names.expand());
        return names.scale();
    }

    private String add(String name, String a, String b) {
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a, b);
        return name;
    }

    /** A full convolution unit; returns the name of its last vertex. */
    private String conv(String in, LayerNames.Unit unit, int kernel, int filters, int stride, IActivation activation) {
        return unit(in, unit, kernel, stride, activation, new ConvolutionLayer.Builder(kernel, kernel)
                .nOut(filters)
                .dataFormat(FORMAT));
    }

    /** A depthwise unit (channel multiplier 1); returns the name of its last vertex. */
    private String depthwise(String in, LayerNames.Unit unit, int kernel, int stride, IActivation activation) {
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
    private String unit(String in, LayerNames.Unit unit, int kernel, int stride, IActivation activation,
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
     * PyTorch pads {@code k/2} on both sides.
     */
    private String pad(String in, String name, int kernel, int stride) {
        if (stride == 1 || config.padding() == MobileNetConfig.Padding.SAME) {
            return in;
        }
        int before = config.padding() == MobileNetConfig.Padding.TORCH ? kernel / 2 : kernel / 2 - 1;
        int after = kernel / 2;
        graph.addLayer(name, new ZeroPaddingLayer.Builder(before, after, before, after).dataFormat(FORMAT).build(), in);
        return name;
    }

    private ConvolutionMode convolutionMode(int stride) {
        return stride > 1 && config.padding() != MobileNetConfig.Padding.SAME ? ConvolutionMode.Truncate : ConvolutionMode.Same;
    }

    /** V1's non-linearity, from the configuration. */
    private IActivation activation() {
        return activation(config.activation());
    }

    private static IActivation activation(MobileNetConfig.Activation activation) {
        return activation == MobileNetConfig.Activation.RELU6 ? new ActivationReLU6() : new ActivationReLU();
    }

    private static IActivation activation(InvertedResidualBlocks.Nonlinearity nonlinearity) {
        return switch (nonlinearity) {
            case RELU6 -> new ActivationReLU6();
            case RELU -> new ActivationReLU();
            case HARD_SWISH -> new ActivationHardSwish();
        };
    }
}
