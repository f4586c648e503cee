package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.MobileNetConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * MobileNetV2's and V3's bodies as data, one row per inverted residual block (expand,
 * depthwise, optional squeeze-and-excite, linear projection), in the style of torchvision's
 * {@code InvertedResidualConfig}. Each body starts with a 3x3 stem convolution, stride 2, and
 * ends with a 1x1 convolution; V3's then has, after the global pool, a 1x1 head with bias whose
 * output is the embedding. Channels are for alpha 1.
 *
 * <p>V2 (paper Table 2): the stem has 32 filters; each row {@code t, c, n, s} of the table is
 * {@code n} blocks of expansion factor {@code t} and {@code c} output channels, the first of
 * them with stride {@code s}, all 3x3 without squeeze-and-excite; then a 1x1 convolution to
 * 1280 channels, not reduced for alpha below 1 (Keras, torchvision) so that the embedding keeps
 * its width. The non-linearity is the configuration's (ReLU6 as Keras, or ReLU).
 *
 * <p>V3 (paper Tables 1 and 2): the stem has 16 filters and h-swish; the 1x1 convolution after
 * the blocks and the head have h-swish. Where the paper leaves room this follows torchvision,
 * which makes the parameter counts exact: no expansion convolution when the expansion equals
 * the input channels, and no squeeze-and-excite on V3-Small's last 576 convolution (the paper's
 * table marks one).
 */
public final class InvertedResidualBlocks {

    /** A block's non-linearity: V2's ReLU6 or ReLU, V3's ReLU ("RE") or h-swish ("HS"). */
    public enum Nonlinearity { RELU6, RELU, HARD_SWISH }

    /**
     * What a row's expansion counts. V2 and V3 apply alpha differently, and both are kept exact:
     * V2 multiplies the block's input channels as alpha left them, V3 scales its expansion size
     * like any other width. Either way a block whose expansion equals its input has no expansion
     * convolution (for V2, t = 1).
     */
    public enum Expansion {
        /** A factor t of the block's input channels (V2). */
        FACTOR,
        /** The expanded channels at alpha 1 (V3). */
        CHANNELS
    }

    /**
     * One block: depthwise kernel, expansion (see {@link Expansion}), output channels, whether it
     * has squeeze-and-excite, its non-linearity, and the depthwise stride.
     */
    public record Block(int kernel, int expansion, int out, boolean squeezeExcite, Nonlinearity nonlinearity,
                        int stride) { }

    /**
     * A whole body: the stem's filters, the blocks and what their expansions count, the 1x1
     * convolution after them (and whether alpha below 1 leaves it whole), the head's width (0 for
     * none), and the non-linearity of the stem, that convolution and the head.
     */
    public record Body(int stem, List<Block> blocks, Expansion expansion, int lastConv, boolean lastConvNeverReduced,
                       int head, Nonlinearity nonlinearity) {

        public Body {
            blocks = List.copyOf(blocks);
        }
    }

    private static final Nonlinearity RE = Nonlinearity.RELU;
    private static final Nonlinearity HS = Nonlinearity.HARD_SWISH;

    /** A row of V2's Table 2, as the paper prints it: {@code n} blocks in one. */
    private record Table2Row(int t, int c, int n, int s) { }

    private static final List<Table2Row> V2_TABLE = List.of(
            new Table2Row(1, 16, 1, 1),
            new Table2Row(6, 24, 2, 2),
            new Table2Row(6, 32, 3, 2),
            new Table2Row(6, 64, 4, 2),
            new Table2Row(6, 96, 3, 1),
            new Table2Row(6, 160, 3, 2),
            new Table2Row(6, 320, 1, 1));

    public static final Body V3_LARGE = new Body(16, List.of(
            new Block(3, 16, 16, false, RE, 1),
            new Block(3, 64, 24, false, RE, 2),
            new Block(3, 72, 24, false, RE, 1),
            new Block(5, 72, 40, true, RE, 2),
            new Block(5, 120, 40, true, RE, 1),
            new Block(5, 120, 40, true, RE, 1),
            new Block(3, 240, 80, false, HS, 2),
            new Block(3, 200, 80, false, HS, 1),
            new Block(3, 184, 80, false, HS, 1),
            new Block(3, 184, 80, false, HS, 1),
            new Block(3, 480, 112, true, HS, 1),
            new Block(3, 672, 112, true, HS, 1),
            new Block(5, 672, 160, true, HS, 2),
            new Block(5, 960, 160, true, HS, 1),
            new Block(5, 960, 160, true, HS, 1)), Expansion.CHANNELS, 960, false, 1280, HS);

    public static final Body V3_SMALL = new Body(16, List.of(
            new Block(3, 16, 16, true, RE, 2),
            new Block(3, 72, 24, false, RE, 2),
            new Block(3, 88, 24, false, RE, 1),
            new Block(5, 96, 40, true, HS, 2),
            new Block(5, 240, 40, true, HS, 1),
            new Block(5, 240, 40, true, HS, 1),
            new Block(5, 120, 48, true, HS, 1),
            new Block(5, 144, 48, true, HS, 1),
            new Block(5, 288, 96, true, HS, 2),
            new Block(5, 576, 96, true, HS, 1),
            new Block(5, 576, 96, true, HS, 1)), Expansion.CHANNELS, 576, false, 1024, HS);

    private InvertedResidualBlocks() {
    }

    /** V2's body with the configuration's non-linearity throughout. */
    public static Body v2(MobileNetConfig.Activation activation) {
        Nonlinearity nonlinearity = switch (activation) {
            case RELU6 -> Nonlinearity.RELU6;
            case RELU -> Nonlinearity.RELU;
        };
        List<Block> blocks = new ArrayList<>();
        for (Table2Row row : V2_TABLE) {
            for (int i = 0; i < row.n(); i++) {
                blocks.add(new Block(3, row.t(), row.c(), false, nonlinearity, i == 0 ? row.s() : 1));
            }
        }
        return new Body(32, blocks, Expansion.FACTOR, 1280, true, 0, nonlinearity);
    }
}
