package dev.mobilenetspark.model;

/** The network families this project builds; the name is what users type ({@code --arch v1}). */
public enum Architecture {
    /** MobileNetV1: 13 depthwise-separable blocks (paper Table 1). */
    V1("v1"),
    /** The paper's Table 4 baseline: the same body with each block one standard 3x3 convolution. */
    V1_FULLCONV("v1-fullconv"),
    /** MobileNetV2: inverted residual blocks with linear bottlenecks (paper Table 2). */
    V2("v2"),
    /** MobileNetV3-Large (paper Table 1): V2's blocks with squeeze-and-excite and h-swish. */
    V3_LARGE("v3-large"),
    /** MobileNetV3-Small (paper Table 2). */
    V3_SMALL("v3-small");

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * Whether channel counts are rounded to multiples of 8 after the width multiplier
     * (make_divisible, V2 and V3) rather than truncated (V1, as Keras).
     */
    public boolean roundsChannelsToEight() {
        return this != V1 && this != V1_FULLCONV;
    }

    public static Architecture parse(String text) {
        return OptionNames.parse(values(), Architecture::id, text, "architecture");
    }

    @Override
    public String toString() {
        return id;
    }
}
