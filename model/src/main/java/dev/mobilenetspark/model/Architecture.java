package dev.mobilenetspark.model;

/** The network families this project builds; the name is what users type ({@code --arch v1}). */
public enum Architecture {
    /** MobileNetV1: 13 depthwise-separable blocks (paper Table 1). */
    V1("v1"),
    /** The paper's Table 4 baseline: the same body with each block one standard 3x3 convolution. */
    V1_FULLCONV("v1-fullconv");

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Architecture parse(String text) {
        return OptionNames.parse(values(), Architecture::id, text, "architecture");
    }

    @Override
    public String toString() {
        return id;
    }
}
