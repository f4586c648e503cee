package dev.mobilenetspark.model.image;

import dev.mobilenetspark.model.OptionNames;

import java.util.Locale;
import java.util.Properties;

/**
 * How image bytes become a model input: it travels with a model (in its model file), so every
 * image meets the preprocessing its weights were trained with. The target size is the model's
 * input resolution and is not part of this value.
 *
 * @param resize          how the (optionally cropped) image is scaled to the input resolution
 * @param centerCrop      fraction of the shorter side kept by a centred square crop before
 *                        resizing; 1.0 keeps the whole image (and its aspect ratio is not kept).
 *                        With {@link Resize#ANTIALIAS} the image is resized first, its shorter
 *                        side to resolution / centerCrop, and the centred square then kept:
 *                        torchvision's {@code Resize(256)} and {@code CenterCrop(224)} are 0.875
 * @param normalization   per-channel mapping of 0..255 values
 * @param convertToSrgb   apply a JPEG's embedded ICC profile; off by default, as PIL and
 *                        tf.image.decode_jpeg ignore profiles and models are trained that way
 * @param maxPixels       images whose header declares more pixels are refused before decoding
 */
public record Preprocessing(Resize resize, double centerCrop, Normalization normalization,
                            boolean convertToSrgb, long maxPixels) {

    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    /** Resampling used to reach the input resolution. */
    public enum Resize {
        /** Bilinear with corner pixels aligned, as tf.image.resizeBilinear(..., alignCorners=true). */
        BILINEAR_ALIGN_CORNERS,
        /**
         * Bilinear with half-pixel centres and no antialiasing, as tf.image.resize in TF 2 and
         * OpenCV's INTER_LINEAR; PIL and torchvision also antialias when shrinking.
         */
        BILINEAR,
        /**
         * PIL's and torchvision's bilinear resize, which antialiases: a triangle filter widened by
         * the reduction, over the whole image, shorter side first (see {@code centerCrop}).
         */
        ANTIALIAS;

        public String format() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Resize parse(String text) {
            return OptionNames.parse(values(), Resize::format, text, "resize mode");
        }
    }

    public Preprocessing {
        if (resize == null || normalization == null) {
            throw new IllegalArgumentException("resize and normalization are required");
        }
        if (!(centerCrop > 0 && centerCrop <= 1)) {
            throw new IllegalArgumentException("center crop must be in (0, 1], got " + centerCrop);
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("pixel budget must be positive, got " + maxPixels);
        }
    }

    /** Keras/TF-Slim MobileNet convention: whole image, bilinear, [-1, 1]. */
    public static Preprocessing keras() {
        return new Preprocessing(Resize.BILINEAR, 1.0, Normalization.MINUS_ONE_TO_ONE, false, DEFAULT_MAX_PIXELS);
    }

    public Preprocessing withNormalization(Normalization n) {
        return new Preprocessing(resize, centerCrop, n, convertToSrgb, maxPixels);
    }

    public Preprocessing withResize(Resize r) {
        return new Preprocessing(r, centerCrop, normalization, convertToSrgb, maxPixels);
    }

    public Preprocessing withMaxPixels(long max) {
        return new Preprocessing(resize, centerCrop, normalization, convertToSrgb, max);
    }

    /** Writes this value under {@code prefix} (e.g. "preprocessing.") into {@code props}. */
    public void store(Properties props, String prefix) {
        props.setProperty(prefix + "resize", resize.format());
        props.setProperty(prefix + "center-crop", Double.toString(centerCrop));
        props.setProperty(prefix + "normalization", normalization.format());
        props.setProperty(prefix + "convert-to-srgb", Boolean.toString(convertToSrgb));
        props.setProperty(prefix + "max-pixels", Long.toString(maxPixels));
    }

    /** Reads a value written by {@link #store}; missing keys take the Keras defaults. */
    public static Preprocessing load(Properties props, String prefix) {
        Preprocessing d = keras();
        try {
            return new Preprocessing(
                    Resize.parse(props.getProperty(prefix + "resize", d.resize.format())),
                    Double.parseDouble(props.getProperty(prefix + "center-crop", "1.0")),
                    Normalization.parse(props.getProperty(prefix + "normalization", d.normalization.format())),
                    Boolean.parseBoolean(props.getProperty(prefix + "convert-to-srgb", "false")),
                    Long.parseLong(props.getProperty(prefix + "max-pixels", Long.toString(DEFAULT_MAX_PIXELS))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("preprocessing: " + e.getMessage(), e);
        }
    }
}
