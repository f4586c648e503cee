package dev.mobilenetspark.model.image;

/**
 * A decoded image as the model's preprocessing sees it: 8-bit samples, three channels, no colour
 * space attached. Keeping it free of AWT types lets the resize work on a plain array, and lets a
 * caller build one from pixels it decoded some other way.
 *
 * <p>The array is held, not copied, because images travel through batch inference by the million;
 * treat it as read-only.
 *
 * @param rgb row-major, interleaved R, G, B: sample c of pixel (x, y) is at {@code 3 * (y * width + x) + c}
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb == null || rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + 3L * width * height + " bytes, got " + (rgb == null ? "none" : rgb.length));
        }
    }
}
