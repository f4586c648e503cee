package dev.mobilenetspark.model.architecture;

import java.util.List;

/**
 * MobileNetV2's body as data (paper Table 2): after a 3x3 stem of {@link #STEM} filters, stride
 * 2, each row is {@code n} inverted residual blocks with expansion {@code t} and {@code c}
 * output channels (at alpha 1), the first of them with stride {@code s}; then a 1x1 convolution
 * to {@link #LAST} channels.
 */
public final class V2Blocks {

    /** One row of Table 2. */
    public record Row(int expansion, int channels, int repeats, int stride) { }

    public static final int STEM = 32;

    /** Not reduced for alpha below 1 (Keras, torchvision): the embedding keeps its width. */
    public static final int LAST = 1280;

    public static final List<Row> BODY = List.of(
            new Row(1, 16, 1, 1),
            new Row(6, 24, 2, 2),
            new Row(6, 32, 3, 2),
            new Row(6, 64, 4, 2),
            new Row(6, 96, 3, 1),
            new Row(6, 160, 3, 2),
            new Row(6, 320, 1, 1));

    private V2Blocks() {
    }
}
