package dev.mobilenetspark.model;

import java.util.List;

/**
 * What the model says about one image: the top-k classes, best first (empty without a
 * classifier), and the embedding, the global-average-pooled last feature map.
 */
public record Prediction(List<ClassScore> top, float[] embedding) {

    /** A class index, its name, and its softmax probability. */
    public record ClassScore(int index, String name, float probability) { }

    public Prediction {
        top = List.copyOf(top);
    }
}
