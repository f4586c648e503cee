package dev.mobilenetspark.model.image;

import java.util.Locale;

/**
 * Maps an 8-bit channel value v to {@code (v / 255 - mean[c]) / std[c]}.
 * The named presets cover what trained MobileNets expect: Keras and TF-Slim train on [-1, 1],
 * tfjs models such as nsfwjs on [0, 1], torchvision on ImageNet mean and standard deviation.
 */
public record Normalization(double meanR, double meanG, double meanB, double stdR, double stdG, double stdB) {

    public static final Normalization MINUS_ONE_TO_ONE = new Normalization(0.5, 0.5, 0.5, 0.5, 0.5, 0.5);
    public static final Normalization ZERO_TO_ONE = new Normalization(0, 0, 0, 1, 1, 1);
    public static final Normalization IMAGENET =
            new Normalization(0.485, 0.456, 0.406, 0.229, 0.224, 0.225);

    public Normalization {
        for (double s : new double[] {stdR, stdG, stdB}) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("normalization std must be a positive number, got " + s);
            }
        }
        for (double m : new double[] {meanR, meanG, meanB}) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("normalization mean must be a finite number, got " + m);
            }
        }
    }

    /** Scale applied to a raw 0..255 value of channel c (0 = R). */
    public float scale(int c) {
        return (float) (1.0 / (255.0 * std(c)));
    }

    /** Offset added after {@link #scale(int)}. */
    public float offset(int c) {
        return (float) (-mean(c) / std(c));
    }

    private double mean(int c) {
        return c == 0 ? meanR : c == 1 ? meanG : meanB;
    }

    private double std(int c) {
        return c == 0 ? stdR : c == 1 ? stdG : stdB;
    }

    /**
     * Parses a preset name ({@code minus-one-to-one}, {@code zero-to-one}, {@code imagenet}) or
     * {@code mean=R,G,B;std=R,G,B} with values on the 0..1 scale.
     */
    public static Normalization parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "minus-one-to-one": return MINUS_ONE_TO_ONE;
            case "zero-to-one": return ZERO_TO_ONE;
            case "imagenet": return IMAGENET;
            default: break;
        }
        String[] parts = t.split(";");
        if (parts.length != 2 || !parts[0].startsWith("mean=") || !parts[1].startsWith("std=")) {
            throw new IllegalArgumentException("normalization must be minus-one-to-one, zero-to-one, imagenet"
                    + " or mean=R,G,B;std=R,G,B, got '" + text + "'");
        }
        double[] mean = triple(parts[0].substring(5), text);
        double[] std = triple(parts[1].substring(4), text);
        return new Normalization(mean[0], mean[1], mean[2], std[0], std[1], std[2]);
    }

    private static double[] triple(String csv, String whole) {
        String[] v = csv.split(",");
        if (v.length != 3) {
            throw new IllegalArgumentException("normalization needs three values for mean and for std, got '" + whole + "'");
        }
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            try {
                out[i] = Double.parseDouble(v[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("normalization value '" + v[i] + "' is not a number in '" + whole + "'");
            }
        }
        return out;
    }

    /** The inverse of {@link #parse(String)}: a preset's name, or the mean/std form. */
    public String format() {
        if (equals(MINUS_ONE_TO_ONE)) {
            return "minus-one-to-one";
        }
        if (equals(ZERO_TO_ONE)) {
            return "zero-to-one";
        }
        if (equals(IMAGENET)) {
            return "imagenet";
        }
        return "mean=" + meanR + "," + meanG + "," + meanB + ";std=" + stdR + "," + stdG + "," + stdB;
    }
}
