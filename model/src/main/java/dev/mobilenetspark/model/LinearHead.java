package dev.mobilenetspark.model;

/**
 * A linear classifier over a network's embedding, {@code softmax(W x + b)}: what a logistic
 * regression trained on the embeddings table gives, in the form
 * {@link MobileNetModel#withHead(LinearHead)} puts in place of the network's classifier.
 *
 * @param labels   one name per class, in the order of the rows of {@code weights}
 * @param features the embedding's length
 * @param weights  class-major: row c ({@code features} values) scores class c
 * @param bias     one per class
 */
public record LinearHead(Labels labels, int features, float[] weights, float[] bias) {

    public LinearHead {
        if (labels == null || labels.isEmpty()) {
            throw new IllegalArgumentException("a head needs its class names");
        }
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a head needs at least 2 classes, got " + labels.size());
        }
        if (features < 1 || weights.length != (long) labels.size() * features || bias.length != labels.size()) {
            throw new IllegalArgumentException("a head of " + labels.size() + " classes over " + features
                    + " features needs " + (long) labels.size() * features + " weights and " + labels.size()
                    + " biases, got " + weights.length + " and " + bias.length);
        }
        for (float w : weights) {
            if (!Float.isFinite(w)) {
                throw new IllegalArgumentException("a head's weights must be finite");
            }
        }
        for (float b : bias) {
            if (!Float.isFinite(b)) {
                throw new IllegalArgumentException("a head's biases must be finite");
            }
        }
    }

    public int classes() {
        return bias.length;
    }
}
