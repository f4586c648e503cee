package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.architecture.InvertedResidualBlocks.Nonlinearity;

/**
 * Every vertex name of the networks {@link MobileNetBuilder} builds, spelled here once for the
 * builder and the importers. They are Keras' layer names so that weights map by name (the README
 * lists them all): V1 {@code conv1}, {@code conv_dw_i}, {@code conv_pw_i}; V2 {@code Conv1},
 * {@code bn_Conv1}, {@code expanded_conv_depthwise}, {@code block_i_expand}, ...,
 * {@code Conv_1}, {@code out_relu}; V3 as Keras' MobileNetV3 with '/' written '_'
 * ({@code expanded_conv_i_squeeze_excite_Conv}). Then {@link #POOL}, for V3 {@link #V3_HEAD},
 * the dense layers of a classifier head ({@link #head(int)}) and {@link #PREDICTIONS}.
 */
public final class LayerNames {

    /** Input vertex name. */
    public static final String INPUT = "input";
    /** Global average pool of the last feature map: the embedding of V1 and V2. */
    public static final String POOL = "global_pool";
    /** V3's 1x1 head after the pool (a dense layer on the pooled vector): V3's embedding. */
    public static final String V3_HEAD = "Conv_2";
    /** Softmax classifier, present when the configuration has classes. */
    public static final String PREDICTIONS = "predictions";

    private static final String HEAD_PREFIX = "head_";

    /**
     * Names of one convolution unit's vertices: the convolution, the zero padding before it (Keras
     * padding, stride 2), its BatchNorm, and its activation (null for a linear unit).
     */
    public record Unit(String conv, String pad, String batchNorm, String activation) { }

    /** Names of a squeeze-and-excite's pool, reducing and expanding layers, and channel scaling. */
    public record SqueezeExcite(String pool, String reduce, String expand, String scale) { }

    private LayerNames() {
    }

    /** Dense layer {@code index} (from 1) of a classifier head, between the embedding and the classifier. */
    public static String head(int index) {
        return HEAD_PREFIX + index;
    }

    /** V1's stem. */
    public static Unit v1Stem() {
        return v1Unit("conv1");
    }

    /** Depthwise unit of V1 block {@code block} (from 1). */
    public static Unit v1Depthwise(int block) {
        return v1Unit("conv_dw_" + block);
    }

    /** Pointwise unit of V1 block {@code block} (from 1). */
    public static Unit v1Pointwise(int block) {
        return v1Unit("conv_pw_" + block);
    }

    /** The one 3x3 convolution of V1-fullconv's block {@code block} (from 1). */
    public static Unit v1FullConv(int block) {
        return v1Unit("conv_" + block);
    }

    private static Unit v1Unit(String conv) {
        return new Unit(conv, conv + "_pad", conv + "_bn", conv + "_relu");
    }

    /**
     * Keras' names in a MobileNetV2 or V3: the same inverted residual blocks, spelled two ways.
     * Blocks count from 0; an activation is named {@code _hard_swish} for h-swish and
     * {@code _relu} otherwise (ReLU6 included, as Keras' V2).
     */
    public enum InvertedResidual {
        V2 {
            @Override
            public Unit stem(Nonlinearity nonlinearity) {
                return new Unit("Conv1", "Conv1_pad", "bn_Conv1", "Conv1_relu");
            }

            @Override
            public Unit lastConv(Nonlinearity nonlinearity) {
                return new Unit("Conv_1", "Conv_1_pad", "Conv_1_bn", "out_relu");
            }

            @Override
            String prefix(int block) {
                return block == 0 ? "expanded_conv_" : "block_" + block + "_";
            }

            @Override
            Unit unit(String prefix, String part, Nonlinearity nonlinearity) {
                // One padding name per block: only its depthwise convolution can have a stride.
                return new Unit(prefix + part, prefix + "pad", prefix + part + "_BN", activation(prefix + part, nonlinearity));
            }

            @Override
            public String add(int block) {
                return prefix(block) + "add";
            }
        },
        V3 {
            @Override
            public Unit stem(Nonlinearity nonlinearity) {
                return unit("", "Conv", nonlinearity);
            }

            @Override
            public Unit lastConv(Nonlinearity nonlinearity) {
                return unit("", "Conv_1", nonlinearity);
            }

            @Override
            String prefix(int block) {
                return block == 0 ? "expanded_conv_" : "expanded_conv_" + block + "_";
            }

            @Override
            Unit unit(String prefix, String part, Nonlinearity nonlinearity) {
                return new Unit(prefix + part, prefix + part + "_pad", prefix + part + "_BatchNorm",
                        activation(prefix + part, nonlinearity));
            }

            @Override
            public String add(int block) {
                return prefix(block) + "Add";
            }
        };

        /** The 3x3 stem convolution. */
        public abstract Unit stem(Nonlinearity nonlinearity);

        /** The 1x1 convolution after the blocks. */
        public abstract Unit lastConv(Nonlinearity nonlinearity);

        /** The residual addition of block {@code block}. */
        public abstract String add(int block);

        abstract String prefix(int block);

        /** A unit of the block with {@code prefix}; linear when {@code nonlinearity} is null. */
        abstract Unit unit(String prefix, String part, Nonlinearity nonlinearity);

        public Unit expand(int block, Nonlinearity nonlinearity) {
            return unit(prefix(block), "expand", nonlinearity);
        }

        public Unit depthwise(int block, Nonlinearity nonlinearity) {
            return unit(prefix(block), "depthwise", nonlinearity);
        }

        /** The linear projection of block {@code block}: no activation. */
        public Unit project(int block) {
            return unit(prefix(block), "project", null);
        }

        public SqueezeExcite squeezeExcite(int block) {
            String se = prefix(block) + "squeeze_excite_";
            return new SqueezeExcite(se + "AvgPool", se + "Conv", se + "Conv_1", se + "Mul");
        }

        private static String activation(String unit, Nonlinearity nonlinearity) {
            if (nonlinearity == null) {
                return null;
            }
            return unit + (nonlinearity == Nonlinearity.HARD_SWISH ? "_hard_swish" : "_relu");
        }
    }
}
