package dev.mobilenetspark.model.architecture;

import java.util.List;

/**
 * MobileNetV3's bodies as data (paper Tables 1 and 2): after a 3x3 stem of {@link #STEM} filters,
 * stride 2, h-swish, each row is one block; then a 1x1 convolution (BatchNorm, h-swish), the
 * global pool, and a 1x1 head with bias and h-swish whose output is the embedding. Channels are
 * for alpha 1. Where the paper leaves room this follows torchvision, which makes the parameter
 * counts exact: no expansion convolution when the expansion equals the input channels, and no
 * squeeze-and-excite on V3-Small's last 576 convolution (the paper's table marks one).
 */
public final class V3Blocks {

    /** The non-linearity of a row: ReLU ("RE") or h-swish ("HS"). */
    public enum Nonlinearity { RELU, HARD_SWISH }

    /**
     * One block: depthwise kernel, expansion size, output channels, whether it has
     * squeeze-and-excite, its non-linearity, and the depthwise stride.
     */
    public record Block(int kernel, int expansion, int out, boolean squeezeExcite, Nonlinearity nonlinearity,
                        int stride) { }

    /** A whole body: its blocks, the 1x1 convolution after them, and the head's width. */
    public record Spec(List<Block> blocks, int lastConv, int head) { }

    public static final int STEM = 16;

    private static final Nonlinearity RE = Nonlinearity.RELU;
    private static final Nonlinearity HS = Nonlinearity.HARD_SWISH;

    public static final Spec LARGE = new Spec(List.of(
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
            new Block(5, 960, 160, true, HS, 1)), 960, 1280);

    public static final Spec SMALL = new Spec(List.of(
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
            new Block(5, 576, 96, true, HS, 1)), 576, 1024);

    private V3Blocks() {
    }
}
