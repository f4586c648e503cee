package dev.mobilenetspark.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mobilenetspark.model.image.Preprocessing.Resize;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PreprocessorTest {

    /** What the golden inputs were made with: RGB / 255, resizeBilinear with alignCorners, 224. */
    private static final Preprocessing GOLDEN = Preprocessing.keras()
            .withNormalization(Normalization.ZERO_TO_ONE)
            .withResize(Resize.BILINEAR_ALIGN_CORNERS);

    // ---- against the golden inputs made by tfjs

    @ParameterizedTest
    @ValueSource(strings = {"ski_astronaut", "ski_chelsea", "ski_coffee"})
    void pngPhotosMatchTheGoldenInputs(String photo) {
        // PNG decoding is exact, so only float rounding separates the two pipelines.
        float[] input = goldenPipeline(GOLDEN, photo + ".png");
        Difference d = Difference.of(input, TestImages.golden(photo));
        assertTrue(d.max <= 1e-6, photo + ": " + d);
    }

    @ParameterizedTest
    @CsvSource({
        // Measured (mean, max): china 0.0019, 0.0101; flower 0.0019, 0.0108; ski_rocket 0.0023, 0.0117;
        // grace_hopper 0.0031, 0.0988. jpeg-js and libjpeg round the IDCT and colour conversion
        // differently (a level or three); grace_hopper has 4:2:0 chroma, which jpeg-js upsamples
        // by repetition and libjpeg by interpolation, so colour edges differ by up to 25 levels.
        "china,        0.003, 0.02",
        "flower,       0.003, 0.02",
        "ski_rocket,   0.003, 0.02",
        "grace_hopper, 0.005, 0.12",
    })
    void jpegPhotosMatchTheGoldenInputsWithinDecoderDifferences(String photo, double meanBound, double maxBound) {
        float[] input = goldenPipeline(GOLDEN, photo + ".jpg");
        Difference d = Difference.of(input, TestImages.golden(photo));
        assertTrue(d.mean < meanBound && d.max < maxBound, photo + ": " + d);
    }

    @Test
    void convertingAdobeRgbToSrgbMovesAwayFromTheGoldenInput() {
        Preprocessing converting = new Preprocessing(GOLDEN.resize(), 1, GOLDEN.normalization(), true, GOLDEN.maxPixels());
        Difference d = Difference.of(goldenPipeline(converting, "ski_rocket.jpg"), TestImages.golden("ski_rocket"));
        // Measured: mean 0.021, max 0.149, ten times the decoder differences above.
        assertTrue(d.mean > 0.01, "the reference ignores the profile; converting should differ: " + d);
    }

    private static float[] goldenPipeline(Preprocessing preprocessing, String photoFile) {
        Preprocessor preprocessor = new Preprocessor(preprocessing, 224);
        RgbImage image = new ImageDecoder(preprocessing).decode(TestImages.photo(photoFile), preprocessor.requiredShortSide());
        float[] input = new float[preprocessor.floatsPerImage()];
        preprocessor.preprocess(image, input, 0);
        return input;
    }

    private record Difference(double mean, double max) {
        static Difference of(float[] a, float[] b) {
            assertEquals(b.length, a.length);
            double sum = 0;
            double max = 0;
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(a[i] - b[i]);
                sum += d;
                max = Math.max(max, d);
            }
            return new Difference(sum / a.length, max);
        }
    }

    // ---- resizing on images small enough to compute by hand

    /** A 2x2 image with red 0, 100 / 200, 40 and green and blue fixed. */
    private static final RgbImage TWO_BY_TWO = new RgbImage(2, 2, bytes(
            0, 1, 2, 100, 1, 2,
            200, 1, 2, 40, 1, 2));

    @Test
    void alignCornersKeepsTheCornersAndInterpolatesBetween() {
        float[] out = run(TWO_BY_TWO, Resize.BILINEAR_ALIGN_CORNERS, 1.0, 3);
        // Source coordinate i * (2 - 1) / (3 - 1): 0, 0.5, 1 along each axis.
        assertArrayEquals(new float[] {
            0, 50, 100,
            100, 85, 70,
            200, 120, 40}, red(out), 1e-4f);
        assertArrayEquals(filled(9, 1), channel(out, 1), 1e-4f);
    }

    @Test
    void halfPixelCentresClampAtTheBorders() {
        float[] out = run(TWO_BY_TWO, Resize.BILINEAR, 1.0, 4);
        // Source coordinate (i + 0.5) * 2 / 4 - 0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        float[] row0 = {0, 25, 75, 100};
        float[] row3 = {200, 160, 80, 40};
        float[] row1 = new float[4];
        for (int x = 0; x < 4; x++) {
            row1[x] = row0[x] + (row3[x] - row0[x]) * 0.25f;
        }
        float[] r = red(out);
        assertArrayEquals(row0, Arrays.copyOfRange(r, 0, 4), 1e-4f);
        assertArrayEquals(row1, Arrays.copyOfRange(r, 4, 8), 1e-4f);
        assertArrayEquals(row3, Arrays.copyOfRange(r, 12, 16), 1e-4f);
    }

    @Test
    void halfPixelCentresAverageWhenHalving() {
        RgbImage fourByFour = new RgbImage(4, 4, TestImages.gradientBytes(4, 4));
        float[] r = red(run(fourByFour, Resize.BILINEAR, 1.0, 2));
        // Red is x; output pixel 0 reads source x = 0.5, output pixel 1 reads x = 2.5.
        assertArrayEquals(new float[] {0.5f, 2.5f, 0.5f, 2.5f}, r, 1e-4f);
        float[] alignCorners = red(run(fourByFour, Resize.BILINEAR_ALIGN_CORNERS, 1.0, 2));
        assertArrayEquals(new float[] {0, 3, 0, 3}, alignCorners, 1e-4f);
    }

    @Test
    void centerCropTakesTheMiddleSquareOfTheShorterSide() {
        // 8x4: red is x, green is y. Half the shorter side is a 2x2 square at x 3..4, y 1..2.
        RgbImage wide = new RgbImage(8, 4, TestImages.gradientBytes(8, 4));
        float[] out = run(wide, Resize.BILINEAR_ALIGN_CORNERS, 0.5, 2);
        assertArrayEquals(new float[] {3, 4, 3, 4}, red(out), 1e-4f);
        assertArrayEquals(new float[] {1, 1, 2, 2}, channel(out, 1), 1e-4f);

        float[] whole = run(wide, Resize.BILINEAR_ALIGN_CORNERS, 1.0, 2);
        assertArrayEquals(new float[] {0, 7, 0, 7}, red(whole), 1e-4f, "no crop: the whole image, squeezed");
    }

    @Test
    void requiredShortSideLeavesTheCropAtTheResolution() {
        assertEquals(224, new Preprocessor(Preprocessing.keras(), 224).requiredShortSide());
        Preprocessing cropped = new Preprocessing(Resize.BILINEAR, 0.875, Normalization.IMAGENET, false, 1000);
        assertEquals(256, new Preprocessor(cropped, 224).requiredShortSide());
    }

    @ParameterizedTest
    @ValueSource(strings = {"BILINEAR", "BILINEAR_ALIGN_CORNERS", "ANTIALIAS"})
    void onePixelFillsTheWholeInput(Resize resize) {
        float[] out = run(new RgbImage(1, 1, bytes(10, 20, 30)), resize, 1.0, 5);
        for (int i = 0; i < out.length; i += 3) {
            assertArrayEquals(new float[] {10, 20, 30}, Arrays.copyOfRange(out, i, i + 3), 1e-4f);
        }
    }

    // ---- normalisation

    @Test
    void normalisationsMapBlackAndWhiteToTheirRanges() {
        RgbImage blackWhite = new RgbImage(2, 1, bytes(0, 0, 0, 255, 255, 255));
        float[] minusOne = normalised(blackWhite, Normalization.MINUS_ONE_TO_ONE);
        assertArrayEquals(new float[] {-1, -1, -1}, Arrays.copyOfRange(minusOne, 0, 3), 1e-6f);
        assertArrayEquals(new float[] {1, 1, 1}, Arrays.copyOfRange(minusOne, 3, 6), 1e-6f);

        float[] zeroOne = normalised(blackWhite, Normalization.ZERO_TO_ONE);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, zeroOne, 1e-6f);

        float[] imagenet = normalised(blackWhite, Normalization.IMAGENET);
        assertArrayEquals(new float[] {-0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f},
                Arrays.copyOfRange(imagenet, 0, 3), 1e-5f);
        assertArrayEquals(new float[] {0.515f / 0.229f, 0.544f / 0.224f, 0.594f / 0.225f},
                Arrays.copyOfRange(imagenet, 3, 6), 1e-5f);
    }

    @Test
    void photoInputStaysInMinusOneToOne() {
        Preprocessor keras = new Preprocessor(Preprocessing.keras(), 224);
        float[] out = new float[keras.floatsPerImage()];
        keras.preprocess(new ImageDecoder(Preprocessing.keras()).decode(TestImages.photo("ski_coffee.png"), 224), out, 0);
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float v : out) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        // Within float rounding of the scale (1 / 127.5 is not a float).
        assertTrue(min >= -1 - 1e-6 && max <= 1 + 1e-6, "range [" + min + ", " + max + "]");
        assertTrue(min < -0.9 && max > 0.9, "a photo uses most of the range: [" + min + ", " + max + "]");
    }

    // ---- the output array

    @Test
    void writesAtTheOffsetAndNothingElse() {
        Preprocessor p = new Preprocessor(GOLDEN, 2);
        float[] batch = filled(3 * p.floatsPerImage(), -7);
        p.preprocess(new RgbImage(1, 1, bytes(255, 0, 255)), batch, p.floatsPerImage());
        assertArrayEquals(filled(p.floatsPerImage(), -7), Arrays.copyOfRange(batch, 0, p.floatsPerImage()));
        assertArrayEquals(new float[] {1, 0, 1}, Arrays.copyOfRange(batch, p.floatsPerImage(), p.floatsPerImage() + 3));
        assertArrayEquals(filled(p.floatsPerImage(), -7),
                Arrays.copyOfRange(batch, 2 * p.floatsPerImage(), batch.length));

        RgbImage any = new RgbImage(1, 1, bytes(1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> p.preprocess(any, batch, 2 * p.floatsPerImage() + 1));
        assertThrows(IllegalArgumentException.class, () -> p.preprocess(any, batch, -1));
    }

    // ---- helpers

    /** Runs with ZERO_TO_ONE scaled back to 0..255, so expected values read as sample values. */
    @Test
    void antialiasedResizeIsTorchvisionsImageNetPreprocessing() {
        // torchvision: Resize(256) and CenterCrop(224) of this 600x400 PNG (make_models.py wrote
        // the bytes with PIL), which rounds to bytes after each pass of its resize.
        byte[] expected = TestImages.resource("/onnx/ski_coffee.resize256.crop224.rgb");
        Preprocessing torchvision = new Preprocessing(Resize.ANTIALIAS, 224 / 256.0, Normalization.ZERO_TO_ONE, false,
                Preprocessing.DEFAULT_MAX_PIXELS);
        Preprocessor p = new Preprocessor(torchvision, 224);
        assertEquals(256, p.requiredShortSide());
        float[] out = new float[p.floatsPerImage()];
        p.preprocess(new ImageDecoder(torchvision).decode(TestImages.photo("ski_coffee.png"), p.requiredShortSide()), out, 0);
        double worst = 0;
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            double difference = Math.abs(out[i] * 255 - (expected[i] & 0xff));
            worst = Math.max(worst, difference);
            sum += difference;
        }
        assertTrue(worst <= 1.0 + 1e-3, "largest difference " + worst + " levels");
        assertTrue(sum / out.length < 0.35, "mean difference " + sum / out.length + " levels");
        // Without the antialiasing the same crop differs by far more: the filter matters here.
        float[] plain = run(new ImageDecoder(torchvision).decode(TestImages.photo("ski_coffee.png"), 256), Resize.BILINEAR,
                224 / 256.0, 224);
        double plainWorst = 0;
        for (int i = 0; i < plain.length; i++) {
            plainWorst = Math.max(plainWorst, Math.abs(plain[i] - (expected[i] & 0xff)));
        }
        assertTrue(plainWorst > 20, "plain bilinear differs by " + plainWorst);
    }

    private static float[] run(RgbImage image, Resize resize, double centerCrop, int resolution) {
        Normalization raw = new Normalization(0, 0, 0, 1 / 255.0, 1 / 255.0, 1 / 255.0);
        Preprocessor p = new Preprocessor(new Preprocessing(resize, centerCrop, raw, false, 1000), resolution);
        float[] out = new float[p.floatsPerImage()];
        p.preprocess(image, out, 0);
        return out;
    }

    private static float[] normalised(RgbImage image, Normalization normalization) {
        Preprocessor p = new Preprocessor(GOLDEN.withNormalization(normalization), 2);
        float[] out = new float[p.floatsPerImage()];
        p.preprocess(image, out, 0);
        // Align corners from 2x1 to 2x2: each output row is the input row.
        return Arrays.copyOfRange(out, 0, 6);
    }

    private static float[] red(float[] hwc) {
        return channel(hwc, 0);
    }

    private static float[] channel(float[] hwc, int c) {
        float[] out = new float[hwc.length / 3];
        for (int i = 0; i < out.length; i++) {
            out[i] = hwc[3 * i + c];
        }
        return out;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
