package dev.mobilenetspark.model;

import dev.mobilenetspark.model.architecture.V1Blocks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Everything that determines a MobileNet's shape, validated once. The width multiplier is
 * applied here ({@link #width(int)}) and nowhere else, as torchvision does.
 *
 * @param architecture    which family
 * @param alpha           width multiplier, 0 < alpha <= 2 (the paper: 1, 0.75, 0.5, 0.25)
 * @param resolution      square input size, the resolution multiplier rho in pixels (>= 32)
 * @param classes         classifier outputs; 0 builds no classifier (embeddings only)
 * @param activation      of V1 and V2: ReLU6 as Keras and TF-Slim (the usual source of weights) or
 *                        ReLU as the V1 paper; V3's non-linearities are fixed by its tables
 * @param batchNormEpsilon BatchNorm epsilon (0.001 as Keras)
 * @param padding         how stride-2 layers pad
 * @param foldedBatchNorm each convolution carries a bias and its activation instead of a
 *                        BatchNorm layer: the form of weights with BN already folded in
 * @param head            dense layers between the embedding and the softmax classifier (empty
 *                        for the papers' single classifier; fine-tuned models such as nsfwjs
 *                        have their own)
 */
public record MobileNetConfig(Architecture architecture, double alpha, int resolution, int classes,
                              Activation activation, double batchNormEpsilon, Padding padding,
                              boolean foldedBatchNorm, List<HeadLayer> head) {

    public static final int MIN_RESOLUTION = 32;

    /** Non-linearity after each convolution (or its BatchNorm). */
    public enum Activation {
        RELU6, RELU;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Activation parse(String text) {
            return OptionNames.parse(values(), Activation::id, text, "activation");
        }
    }

    /**
     * Padding of strided layers (stride-1 layers pad k/2 on every side in all three). SAME and
     * KERAS give TensorFlow's results on even input sizes; on odd sizes only {@link #SAME} keeps
     * out = ceil(in / stride). TORCH is PyTorch's, as torchvision's MobileNets pad.
     */
    public enum Padding {
        /** TensorFlow 'same': the extra row and column of padding go bottom and right. */
        SAME,
        /** Keras applications: ZeroPadding2D((0,1),(0,1)) and 'valid' before each stride-2 layer. */
        KERAS,
        /** PyTorch's Conv2d(padding=k // 2): as many rows and columns before as after, then 'valid'. */
        TORCH;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Padding parse(String text) {
            return OptionNames.parse(values(), Padding::id, text, "padding");
        }
    }

    /** One dense layer of a classifier head: its width and activation, e.g. {@code 256:relu}. */
    public record HeadLayer(int units, Activation activation) {

        public HeadLayer {
            if (units < 1 || activation == null) {
                throw new IllegalArgumentException("a head layer needs units >= 1 and an activation, got " + units);
            }
        }

        @Override
        public String toString() {
            return units + ":" + activation.id();
        }

        /** Parses {@code UNITS:ACTIVATION}, e.g. {@code 256:relu}. */
        public static HeadLayer parse(String text) {
            String[] parts = text.trim().split(":");
            if (parts.length != 2) {
                throw notAHeadLayer(text);
            }
            try {
                return new HeadLayer(Integer.parseInt(parts[0].trim()), Activation.parse(parts[1]));
            } catch (NumberFormatException e) {
                throw notAHeadLayer(text);
            }
        }

        private static IllegalArgumentException notAHeadLayer(String text) {
            return new IllegalArgumentException("a head layer is UNITS:ACTIVATION, e.g. 256:relu; got '" + text + "'");
        }
    }

    public MobileNetConfig {
        if (architecture == null || activation == null || padding == null || head == null) {
            throw new IllegalArgumentException("architecture, activation, padding and head are required");
        }
        head = List.copyOf(head);
        if (!head.isEmpty() && classes == 0) {
            throw new IllegalArgumentException("a classifier head needs classes");
        }
        if (!(alpha > 0 && alpha <= 2)) {
            throw new IllegalArgumentException("alpha must be in (0, 2], got " + alpha);
        }
        if (resolution < MIN_RESOLUTION) {
            throw new IllegalArgumentException("resolution must be at least " + MIN_RESOLUTION + " pixels, got " + resolution);
        }
        if (classes < 0) {
            throw new IllegalArgumentException("classes must be 0 (no classifier) or more, got " + classes);
        }
        if (!(batchNormEpsilon > 0) || Double.isInfinite(batchNormEpsilon)) {
            throw new IllegalArgumentException("BatchNorm epsilon must be positive, got " + batchNormEpsilon);
        }
        // V1's stem is its narrowest layer; V2's and V3's rounded widths are at least 8.
        if (!architecture.roundsChannelsToEight() && (int) (V1Blocks.STEM.filters() * alpha) < 1) {
            throw new IllegalArgumentException("alpha " + alpha + " leaves a layer with no filters");
        }
    }

    /** V1 1.0@224 with 1000 classes, ReLU6, epsilon 0.001, 'same' padding, BatchNorm layers. */
    public static MobileNetConfig v1() {
        return new MobileNetConfig(Architecture.V1, 1.0, 224, 1000, Activation.RELU6, 1e-3, Padding.SAME, false, List.of());
    }

    /**
     * A copy with the changes {@code edit} makes, checked as a whole:
     * {@code config.with(c -> c.alpha(0.5).resolution(160))}.
     */
    public MobileNetConfig with(UnaryOperator<Builder> edit) {
        return edit.apply(new Builder(this)).build();
    }

    /** The fields of a configuration being derived from another; see {@link #with}. */
    public static final class Builder {
        private Architecture architecture;
        private double alpha;
        private int resolution;
        private int classes;
        private Activation activation;
        private double batchNormEpsilon;
        private Padding padding;
        private boolean foldedBatchNorm;
        private List<HeadLayer> head;

        private Builder(MobileNetConfig c) {
            architecture = c.architecture;
            alpha = c.alpha;
            resolution = c.resolution;
            classes = c.classes;
            activation = c.activation;
            batchNormEpsilon = c.batchNormEpsilon;
            padding = c.padding;
            foldedBatchNorm = c.foldedBatchNorm;
            head = c.head;
        }

        public Builder architecture(Architecture a) {
            architecture = a;
            return this;
        }

        public Builder alpha(double a) {
            alpha = a;
            return this;
        }

        public Builder resolution(int r) {
            resolution = r;
            return this;
        }

        public Builder classes(int c) {
            classes = c;
            return this;
        }

        public Builder activation(Activation a) {
            activation = a;
            return this;
        }

        public Builder batchNormEpsilon(double eps) {
            batchNormEpsilon = eps;
            return this;
        }

        public Builder padding(Padding p) {
            padding = p;
            return this;
        }

        public Builder foldedBatchNorm(boolean folded) {
            foldedBatchNorm = folded;
            return this;
        }

        /** The dense layers between the embedding and a classifier of {@code c} classes. */
        public Builder head(List<HeadLayer> layers, int c) {
            head = layers;
            classes = c;
            return this;
        }

        private MobileNetConfig build() {
            return new MobileNetConfig(architecture, alpha, resolution, classes, activation, batchNormEpsilon, padding,
                    foldedBatchNorm, head);
        }
    }

    /**
     * Filters of a layer at this alpha: {@code int(filters * alpha)} for V1, as the Keras V1
     * implementation; {@code make_divisible(filters * alpha, 8)} for V2 and V3.
     */
    public int width(int filters) {
        return architecture.roundsChannelsToEight() ? makeDivisible(filters * alpha) : (int) (filters * alpha);
    }

    /** As {@link #width(int)} for alpha above 1, else {@code filters}: V2's last convolution. */
    public int widthNeverReduced(int filters) {
        return alpha > 1 ? width(filters) : filters;
    }

    /**
     * The multiple of 8 nearest {@code value}, at least 8 and never more than 10% below it
     * (torchvision's and Keras' {@code _make_divisible}).
     */
    public static int makeDivisible(double value) {
        int rounded = Math.max(8, (int) (value + 4) / 8 * 8);
        return rounded < 0.9 * value ? rounded + 8 : rounded;
    }

    public boolean hasClassifier() {
        return classes > 0;
    }

    /** One line for logs and tables, e.g. {@code v1 alpha=1.0 resolution=224 classes=1000}. */
    public String summary() {
        return architecture.id() + " alpha=" + alpha + " resolution=" + resolution + " classes=" + classes
                + (head.isEmpty() ? "" : " head=" + head.stream().map(HeadLayer::toString).collect(Collectors.joining(",")));
    }

    public void store(Properties props, String prefix) {
        props.setProperty(prefix + "arch", architecture.id());
        props.setProperty(prefix + "alpha", Double.toString(alpha));
        props.setProperty(prefix + "resolution", Integer.toString(resolution));
        props.setProperty(prefix + "classes", Integer.toString(classes));
        props.setProperty(prefix + "activation", activation.id());
        props.setProperty(prefix + "batch-norm-epsilon", Double.toString(batchNormEpsilon));
        props.setProperty(prefix + "padding", padding.id());
        props.setProperty(prefix + "folded-batch-norm", Boolean.toString(foldedBatchNorm));
        if (!head.isEmpty()) {
            props.setProperty(prefix + "head", head.stream().map(HeadLayer::toString).collect(Collectors.joining(",")));
        }
    }

    public static MobileNetConfig load(Properties props, String prefix) {
        try {
            return new MobileNetConfig(
                    Architecture.parse(required(props, prefix + "arch")),
                    Double.parseDouble(required(props, prefix + "alpha")),
                    Integer.parseInt(required(props, prefix + "resolution")),
                    Integer.parseInt(required(props, prefix + "classes")),
                    Activation.parse(required(props, prefix + "activation")),
                    Double.parseDouble(required(props, prefix + "batch-norm-epsilon")),
                    Padding.parse(required(props, prefix + "padding")),
                    Boolean.parseBoolean(required(props, prefix + "folded-batch-norm")),
                    parseHead(props.getProperty(prefix + "head", "")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model configuration: " + e.getMessage(), e);
        }
    }

    /** A comma-separated list of {@link HeadLayer}s; blank for none. */
    public static List<HeadLayer> parseHead(String text) {
        if (text.isBlank()) {
            return List.of();
        }
        return Arrays.stream(text.split(",")).map(HeadLayer::parse).toList();
    }

    private static String required(Properties props, String key) {
        String v = props.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("model configuration lacks '" + key + "'");
        }
        return v;
    }
}
