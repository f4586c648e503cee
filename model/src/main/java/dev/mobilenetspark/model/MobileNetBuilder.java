package dev.mobilenetspark.model;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
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
 * Builds a MobileNet as a DL4J {@link ComputationGraph} from the architecture tables: one loop
 * over the rows, as torchvision's mobilenetv2.py. The network is NHWC throughout, like the
 * TensorFlow weights it imports and the layout oneDNN prefers.
 *
 * <p>Layer names follow Keras' MobileNet so that weights map by name:
 * {@code conv1}, {@code conv1_bn}, {@code conv1_relu}, then per block i = 1..13
 * {@code conv_dw_i}, {@code conv_dw_i_bn}, {@code conv_dw_i_relu}, {@code conv_pw_i},
 * {@code conv_pw_i_bn}, {@code conv_pw_i_relu} (in {@code v1-fullconv} one {@code conv_i} unit
 * per block), then {@link #EMBEDDING} and {@link #PREDICTIONS}. With folded BatchNorm the
 * {@code _bn} and {@code _relu} layers are absent: the convolution has a bias and applies the
 * activation itself. With Keras padding, each stride-2 convolution {@code X} is preceded by
 * {@code X_pad}.
 */
public final class MobileNetBuilder {

    /** Input vertex name. */
    public static final String INPUT = "input";
    /** Global average pool of the last feature map: the embedding. */
    public static final String EMBEDDING = "global_pool";
    /** Softmax classifier, present when the configuration has classes. */
    public static final String PREDICTIONS = "predictions";

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

    private ComputationGraphConfiguration build() {
        String x = conv(INPUT, "conv1", 3, config.width(V1Blocks.STEM.filters()), V1Blocks.STEM.stride());
        int block = 1;
        for (V1Blocks.Block row : V1Blocks.BODY) {
            int filters = config.width(row.filters());
            if (config.architecture() == Architecture.V1_FULLCONV) {
                x = conv(x, "conv_" + block, 3, filters, row.stride());
            } else {
                x = depthwise(x, "conv_dw_" + block, 3, row.stride());
                x = conv(x, "conv_pw_" + block, 1, filters, 1);
            }
            block++;
        }
        graph.addLayer(EMBEDDING, new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .poolingDimensions(1, 2)
                .collapseDimensions(true)
                .build(), x);
        if (config.hasClassifier()) {
            graph.addLayer(PREDICTIONS, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .nOut(config.classes())
                    .activation(new ActivationSoftmax())
                    .build(), EMBEDDING);
            graph.setOutputs(PREDICTIONS, EMBEDDING);
        } else {
            graph.setOutputs(EMBEDDING);
        }
        return graph.build();
    }

    /** A full convolution unit; returns the name of its last vertex. */
    private String conv(String in, String name, int kernel, int filters, int stride) {
        return unit(in, name, stride, new ConvolutionLayer.Builder(kernel, kernel)
                .nOut(filters)
                .dataFormat(FORMAT));
    }

    /** A depthwise unit (channel multiplier 1); returns the name of its last vertex. */
    private String depthwise(String in, String name, int kernel, int stride) {
        return unit(in, name, stride, new DepthwiseConvolution2D.Builder(kernel, kernel)
                .depthMultiplier(1)
                // DL4J takes the depthwise fan-in over all channels, which shrinks a random
                // network's activations by sqrt(C) per block until every output is ~0; a
                // depthwise filter sees one channel, so He init uses kernel area alone.
                .weightInit(new NormalDistribution(0, Math.sqrt(2.0 / (kernel * kernel))))
                .dataFormat(FORMAT));
    }

    /** Padding if the convention needs it, the convolution, then its BatchNorm and activation. */
    private String unit(String in, String name, int stride, ConvolutionLayer.BaseConvBuilder<?> convolution) {
        String x = pad(in, name, stride);
        graph.addLayer(name, convolution
                .stride(stride, stride)
                .convolutionMode(convolutionMode(stride))
                .hasBias(config.foldedBatchNorm())
                .activation(unitActivation())
                .build(), x);
        return normalizeAndActivate(name);
    }

    private String pad(String in, String name, int stride) {
        if (stride == 1 || config.padding() == MobileNetConfig.Padding.SAME) {
            return in;
        }
        String padName = name + "_pad";
        graph.addLayer(padName, new ZeroPaddingLayer.Builder(0, 1, 0, 1).dataFormat(FORMAT).build(), in);
        return padName;
    }

    private ConvolutionMode convolutionMode(int stride) {
        return stride > 1 && config.padding() == MobileNetConfig.Padding.KERAS ? ConvolutionMode.Truncate : ConvolutionMode.Same;
    }

    /** With BN folded the convolution applies the activation; otherwise it stays linear. */
    private IActivation unitActivation() {
        return config.foldedBatchNorm() ? activation() : new ActivationIdentity();
    }

    /**
     * Adds {@code name_bn} and {@code name_relu} after a linear convolution. The activation gets
     * its own layer because DL4J's BatchNormalization ignores {@code .activation(...)}.
     */
    private String normalizeAndActivate(String name) {
        if (config.foldedBatchNorm()) {
            return name;
        }
        graph.addLayer(name + "_bn", new BatchNormalization.Builder()
                .eps(config.batchNormEpsilon())
                .useLogStd(false)
                .dataFormat(FORMAT)
                .build(), name);
        graph.addLayer(name + "_relu", new ActivationLayer.Builder().activation(activation()).build(), name + "_bn");
        return name + "_relu";
    }

    private IActivation activation() {
        return config.activation() == MobileNetConfig.Activation.RELU6 ? new ActivationReLU6() : new ActivationReLU();
    }
}
