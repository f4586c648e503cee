package dev.mobilenetspark.model.architecture;

import java.util.List;

/**
 * MobileNetV1's body as data (paper Table 1): after the stem, each row is one
 * depthwise-separable block. Filters are for alpha = 1. The paper prints stride 2 for the
 * last block; that is a known typo (the map stays 7x7), so it is 1 here, as in every
 * reference implementation.
 */
public final class V1Blocks {

    /** One block: pointwise output filters at alpha 1, and the depthwise stride. */
    public record Block(int filters, int stride) { }

    /** The stem: a full 3x3 convolution, stride 2. */
    public static final Block STEM = new Block(32, 2);

    public static final List<Block> BODY = List.of(
            new Block(64, 1),
            new Block(128, 2),
            new Block(128, 1),
            new Block(256, 2),
            new Block(256, 1),
            new Block(512, 2),
            new Block(512, 1),
            new Block(512, 1),
            new Block(512, 1),
            new Block(512, 1),
            new Block(512, 1),
            new Block(1024, 2),
            new Block(1024, 1));

    private V1Blocks() {
    }
}
