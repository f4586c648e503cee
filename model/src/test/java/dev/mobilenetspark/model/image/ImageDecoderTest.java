package dev.mobilenetspark.model.image;

import static dev.mobilenetspark.model.image.TestImages.pixel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twelvemonkeys.imageio.color.ColorSpaces;
import dev.mobilenetspark.model.image.ImageDecodeException.Reason;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageDecoderTest {

    private static final ImageDecoder DECODER = new ImageDecoder(Preprocessing.keras());
    private static final ImageDecoder FAST = new ImageDecoder(Preprocessing.keras(), ImageDecoder.Scaling.FAST);
    private static final int TARGET = 224;
    /** A target no photo here is twice as large as: decoded whole whatever the scaling. */
    private static final int WHOLE = 10_000;

    // ---- formats

    @Test
    void photosDecodeAtTheirFullSize() {
        RgbImage hopper = DECODER.decode(TestImages.photo("grace_hopper.jpg"), TARGET);
        assertEquals(512, hopper.width());
        assertEquals(600, hopper.height());
        RgbImage chelsea = DECODER.decode(TestImages.photo("ski_chelsea.png"), TARGET);
        assertEquals(451, chelsea.width());
        assertEquals(300, chelsea.height());
    }

    @Test
    void bmpAndPngDecodeExactly() {
        BufferedImage source = TestImages.gradient(40, 30);
        for (String format : new String[] {"png", "bmp"}) {
            RgbImage decoded = DECODER.decode(TestImages.encode(source, format), TARGET);
            assertEquals(40, decoded.width(), format);
            assertEquals(30, decoded.height(), format);
            assertArrayEquals(new int[] {39, 29, 68}, pixel(decoded, 39, 29), format);
            assertArrayEquals(new int[] {7, 3, 10}, pixel(decoded, 7, 3), format);
        }
    }

    @Test
    void greyJpegIsRepeatedIntoThreeEqualChannels() {
        BufferedImage grey = new BufferedImage(64, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 64; x++) {
            for (int y = 0; y < 16; y++) {
                grey.getRaster().setSample(x, y, 0, 4 * x);
            }
        }
        RgbImage decoded = DECODER.decode(TestImages.jpeg(grey, 1f, false), TARGET);
        for (int x = 0; x < 64; x++) {
            int[] p = pixel(decoded, x, 8);
            assertEquals(p[0], p[1]);
            assertEquals(p[0], p[2]);
            assertEquals(4 * x, p[0], 3, "x=" + x);
        }
    }

    @Test
    void cmykJpegIsConvertedToRgb() {
        // TwelveMonkeys writes CMYK JPEGs (Adobe APP14, no profile); it cannot write YCCK ones.
        ColorSpace cmyk = ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK);
        ComponentColorModel model = new ComponentColorModel(cmyk, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(32, 16);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                raster.setPixel(x, y, x < 16 ? new int[] {0, 255, 255, 0} : new int[] {0, 0, 0, 255});
            }
        }
        byte[] jpeg = TestImages.jpeg(new BufferedImage(model, raster, false, null), 0.95f, false);
        assertEquals(4, jpeg[indexOfSof(jpeg) + 9], "the test image must really be a four-channel JPEG");

        RgbImage decoded = DECODER.decode(jpeg, TARGET);
        int[] red = pixel(decoded, 4, 8);
        int[] black = pixel(decoded, 28, 8);
        assertTrue(red[0] > 200 && red[1] < 50 && red[2] < 50, "magenta + yellow should be red: " + Arrays.toString(red));
        assertTrue(black[0] < 50 && black[1] < 50 && black[2] < 50, "key should be black: " + Arrays.toString(black));
    }

    @Test
    void progressiveJpegDecodesLikeBaseline() {
        BufferedImage source = TestImages.gradient(200, 120);
        byte[] progressive = TestImages.jpeg(source, 0.9f, true);
        assertEquals((byte) 0xC2, progressive[indexOfSof(progressive) + 1], "the test image must really be progressive");

        RgbImage fromProgressive = DECODER.decode(progressive, TARGET);
        RgbImage fromBaseline = DECODER.decode(TestImages.jpeg(source, 0.9f, false), TARGET);
        assertEquals(200, fromProgressive.width());
        assertEquals(120, fromProgressive.height());
        assertClose(fromBaseline, fromProgressive, 2, 2, "progressive against baseline");
    }

    @Test
    void sixteenBitPngKeepsTheHighByte() {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(3, 2);
        raster.setPixel(0, 0, new int[] {0x12FF, 0xAB80, 0xFFFF});
        raster.setPixel(2, 1, new int[] {0x0001, 0x7F7F, 0x8000});
        byte[] png = TestImages.encode(new BufferedImage(model, raster, false, null), "png");
        assertEquals(16, png[24], "the test image must really be a 16-bit PNG");

        RgbImage decoded = DECODER.decode(png, TARGET);
        // Truncation as PIL and libpng's strip-16 do; rounding would give 0x13 and 0xAC.
        assertArrayEquals(new int[] {0x12, 0xAB, 0xFF}, pixel(decoded, 0, 0));
        assertArrayEquals(new int[] {0x00, 0x7F, 0x80}, pixel(decoded, 2, 1));
    }

    @Test
    void alphaIsDroppedNotComposited() {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x000AC81E);  // fully transparent (10, 200, 30)
        argb.setRGB(1, 0, 0x80323C46);  // half transparent (50, 60, 70)
        RgbImage decoded = DECODER.decode(TestImages.encode(argb, "png"), TARGET);
        assertArrayEquals(new int[] {10, 200, 30}, pixel(decoded, 0, 0));
        assertArrayEquals(new int[] {50, 60, 70}, pixel(decoded, 1, 0));
    }

    @Test
    void paletteGifAndPngLookUpTheirPalette() {
        byte[] r = {(byte) 255, 0, 0, 17};
        byte[] g = {0, (byte) 255, 0, 34};
        byte[] b = {0, 0, (byte) 255, 51};
        // Eight rows: the JDK's GIF writer interlaces, and misplaces the rows of images under eight rows high.
        BufferedImage indexed = new BufferedImage(4, 8, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 4, r, g, b));
        for (int x = 0; x < 4; x++) {
            for (int y = 0; y < 8; y++) {
                indexed.getRaster().setSample(x, y, 0, y % 2 == 0 ? x : 3 - x);
            }
        }
        for (String format : new String[] {"gif", "png"}) {
            RgbImage decoded = DECODER.decode(TestImages.encode(indexed, format), TARGET);
            assertArrayEquals(new int[] {255, 0, 0}, pixel(decoded, 0, 0), format);
            assertArrayEquals(new int[] {17, 34, 51}, pixel(decoded, 3, 0), format);
            assertArrayEquals(new int[] {17, 34, 51}, pixel(decoded, 0, 1), format);
            assertArrayEquals(new int[] {0, 255, 0}, pixel(decoded, 2, 1), format);
        }
    }

    @Test
    void bilevelPngAndSixteenBitBmpAreScaledToEightBits() {
        BufferedImage bilevel = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        bilevel.getRaster().setSample(8, 0, 0, 1);
        RgbImage png = DECODER.decode(TestImages.encode(bilevel, "png"), TARGET);
        assertArrayEquals(new int[] {0, 0, 0}, pixel(png, 0, 0));
        assertArrayEquals(new int[] {255, 255, 255}, pixel(png, 8, 0));

        BufferedImage rgb565 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_565_RGB);
        rgb565.getRaster().setPixel(0, 0, new int[] {31, 63, 31});
        rgb565.getRaster().setPixel(1, 0, new int[] {16, 8, 0});
        RgbImage bmp = DECODER.decode(TestImages.encode(rgb565, "bmp"), TARGET);
        assertArrayEquals(new int[] {255, 255, 255}, pixel(bmp, 0, 0));
        assertArrayEquals(new int[] {132, 32, 0}, pixel(bmp, 1, 0)); // 16/31 and 8/63 of 255, rounded
    }

    @Test
    void tinyAndExtremeShapesDecode() {
        RgbImage one = DECODER.decode(TestImages.encode(TestImages.gradient(1, 1), "png"), TARGET);
        assertEquals(1, one.width());
        assertEquals(1, one.height());
        assertArrayEquals(new int[] {0, 0, 0}, pixel(one, 0, 0));

        RgbImage tall = DECODER.decode(TestImages.encode(TestImages.gradient(16, 2000), "png"), TARGET);
        assertEquals(16, tall.width());
        assertEquals(2000, tall.height(), "a 16 pixel wide image is far below the target: not subsampled");
        assertArrayEquals(new int[] {15, 1999 & 0xff, (15 + 1999) & 0xff}, pixel(tall, 15, 1999));
    }

    @Test
    void losslessWebpDecodesExactlyAndDropsAlpha() {
        RgbImage decoded = DECODER.decode(TestImages.resource("/webp/gradient-alpha-lossless.webp"), TARGET);
        assertEquals(64, decoded.width());
        assertEquals(48, decoded.height());
        assertArrayEquals(TestImages.gradientBytes(64, 48), decoded.rgb(),
                "colour under alpha 0 and 128 kept as stored, not composited");
    }

    @Test
    void lossyWebpIsCloseToItsSource() {
        RgbImage webp = DECODER.decode(TestImages.resource("/webp/ski_chelsea-q90.webp"), TARGET);
        RgbImage png = DECODER.decode(TestImages.photo("ski_chelsea.png"), TARGET);
        assertEquals(png.width(), webp.width());
        assertEquals(png.height(), webp.height());
        // Measured 2.45 levels; libwebp's own decode is 1.88 from the source and 1.50 from TwelveMonkeys'.
        double difference = meanAbsoluteDifference(png, webp);
        assertTrue(difference < 3, "mean difference " + difference);
    }

    @Test
    void webpIsSubsampledLikeTheOthers() {
        RgbImage half = DECODER.decode(TestImages.resource("/webp/gradient-alpha-lossless.webp"), 10);
        assertEquals(32, half.width());
        assertEquals(24, half.height());
        assertArrayEquals(new int[] {62, 46, 108}, pixel(half, 31, 23));
    }

    @Test
    void oneDecoderServesManyThreads() throws Exception {
        String[] photos = {"china.jpg", "ski_rocket.jpg", "ski_coffee.png", "grace_hopper.jpg"};
        List<byte[]> alone = new ArrayList<>();
        for (String photo : photos) {
            alone.add(DECODER.decode(TestImages.photo(photo), TARGET).rgb());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> together = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String photo = photos[i % photos.length];
                together.add(pool.submit(() -> DECODER.decode(TestImages.photo(photo), TARGET).rgb()));
            }
            for (int i = 0; i < together.size(); i++) {
                assertArrayEquals(alone.get(i % photos.length), together.get(i).get(), photos[i % photos.length]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- colour profiles

    @Test
    void embeddedProfileIsIgnoredUnlessConversionIsAsked() {
        byte[] rocket = TestImages.photo("ski_rocket.jpg"); // Adobe RGB (1998)
        RgbImage stored = DECODER.decode(rocket, TARGET);
        Preprocessing k = Preprocessing.keras();
        RgbImage converted = new ImageDecoder(new Preprocessing(k.resize(), 1, k.normalization(), true, k.maxPixels()))
                .decode(rocket, TARGET);
        // Adobe RGB's wider gamut: the same stored value means a more saturated colour, so
        // converting moves the samples by several levels on average.
        assertTrue(meanAbsoluteDifference(stored, converted) > 2, "sRGB conversion should change Adobe RGB samples");
    }

    // ---- orientation

    @ParameterizedTest(name = "EXIF orientation {0}")
    @CsvSource({
        // orientation, upright quadrants: top-left, top-right, bottom-left, bottom-right
        // of a stored image that is Red Green / Blue White, 64 wide and 32 high
        "1, R, G, B, W",
        "2, G, R, W, B",
        "3, W, B, G, R",
        "4, B, W, R, G",
        "5, R, B, G, W",
        "6, B, R, W, G",
        "7, W, G, B, R",
        "8, G, W, R, B",
    })
    void exifOrientationIsApplied(int orientation, char topLeft, char topRight, char bottomLeft, char bottomRight) {
        BufferedImage stored = new BufferedImage(64, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                stored.getRaster().setPixel(x, y, colour(y < 16 ? (x < 32 ? 'R' : 'G') : (x < 32 ? 'B' : 'W')));
            }
        }
        byte[] jpeg = TestImages.withExifOrientation(TestImages.jpeg(stored, 0.95f, false), orientation);

        boolean sideways = orientation >= 5;
        // Whole through ImageIO, and halved in the DCT through FFmpeg.
        for (RgbImage upright : List.of(DECODER.decode(jpeg, TARGET), FAST.decode(jpeg, 16))) {
            int scale = 64 / Math.max(upright.width(), upright.height());
            assertEquals((sideways ? 32 : 64) / scale, upright.width());
            assertEquals((sideways ? 64 : 32) / scale, upright.height());
            int left = upright.width() / 4;
            int right = upright.width() * 3 / 4;
            int top = upright.height() / 4;
            int bottom = upright.height() * 3 / 4;
            assertColour(topLeft, pixel(upright, left, top));
            assertColour(topRight, pixel(upright, right, top));
            assertColour(bottomLeft, pixel(upright, left, bottom));
            assertColour(bottomRight, pixel(upright, right, bottom));
        }
    }

    private static int[] colour(char name) {
        return switch (name) {
            case 'R' -> new int[] {255, 0, 0};
            case 'G' -> new int[] {0, 255, 0};
            case 'B' -> new int[] {0, 0, 255};
            default -> new int[] {255, 255, 255};
        };
    }

    private static void assertColour(char expected, int[] actual) {
        int[] e = colour(expected);
        for (int c = 0; c < 3; c++) {
            assertEquals(e[c], actual[c], 12, "expected " + expected + ", got " + Arrays.toString(actual));
        }
    }

    // ---- memory bounds

    @Test
    void largeJpegIsShrunkInTheDctToAtLeastTwiceTheTarget() {
        byte[] jpeg = TestImages.jpeg(TestImages.gradient(4000, 3000), 0.9f, false);

        RgbImage decoded = DECODER.decode(jpeg, TARGET);
        // 3000 / 4 = 750 is at least 2 x 224; 3000 / 8 = 375 is not.
        assertEquals(1000, decoded.width());
        assertEquals(750, decoded.height());

        RgbImage whole = DECODER.decode(jpeg, 1500);
        assertEquals(4000, whole.width(), "a target of half the shorter side decodes at full size");
        // Points whose 4x4 blocks sit well away from the gradient's wraps from 255 to 0 (JPEG rings there).
        for (int[] xy : new int[][] {{20, 20}, {100, 37}, {300, 200}, {880, 690}}) {
            int[] expected = new int[3];
            for (int dy = 0; dy < 4; dy++) {
                for (int dx = 0; dx < 4; dx++) {
                    int[] p = pixel(whole, 4 * xy[0] + dx, 4 * xy[1] + dy);
                    for (int c = 0; c < 3; c++) {
                        expected[c] += p[c];
                    }
                }
            }
            int[] actual = pixel(decoded, xy[0], xy[1]);
            for (int c = 0; c < 3; c++) {
                assertEquals(expected[c] / 16.0, actual[c], 4, "the DCT's 1/4 scale averages each 4x4 block, at "
                        + Arrays.toString(xy));
            }
        }
    }

    @Test
    void largePngIsSubsampledToAtLeastTwiceTheTarget() {
        byte[] png = TestImages.encode(TestImages.gradient(4000, 3000), "png");

        RgbImage decoded = DECODER.decode(png, TARGET);
        // 3000 / 448 = 6: every sixth pixel of every sixth row.
        assertEquals(667, decoded.width());
        assertEquals(500, decoded.height());

        RgbImage whole = DECODER.decode(png, 1500);
        assertEquals(4000, whole.width());
        for (int[] xy : new int[][] {{0, 0}, {100, 37}, {666, 499}, {333, 250}}) {
            assertArrayEquals(pixel(whole, 6 * xy[0], 6 * xy[1]), pixel(decoded, xy[0], xy[1]),
                    "subsampled pixel " + Arrays.toString(xy) + " should be the whole image's pixel six times further");
        }
    }

    @Test
    void fastScalingShrinksWhileTheImageStillCoversTheInput() {
        byte[] jpeg = TestImages.jpeg(TestImages.gradient(500, 375), 0.9f, false);
        RgbImage half = FAST.decode(jpeg, 128);
        assertEquals(250, half.width());
        assertEquals(188, half.height(), "a scaled side is rounded up, as libjpeg rounds it");
        assertEquals(500, FAST.decode(jpeg, 224).width(), "375 / 2 is under 224");
        assertEquals(500, DECODER.decode(jpeg, 128).width(), "the reference scaling keeps twice the side, 256");
    }

    @Test
    void dctScaleIsTheLargestThatKeepsTheShorterSide() {
        assertEquals(2, ImageDecoder.dctScale(500, 375, 187));
        assertEquals(1, ImageDecoder.dctScale(500, 375, 188));
        assertEquals(8, ImageDecoder.dctScale(4000, 3000, 375));
        assertEquals(4, ImageDecoder.dctScale(4000, 3000, 376));
        assertEquals(1, ImageDecoder.dctScale(4000, 3000, Integer.MAX_VALUE));
    }

    @Test
    void ffmpegIsWithinAboutALevelOfTheJdkDecoder() {
        assertTrue(NativeJpeg.AVAILABLE, "FFmpeg's natives ship for linux-x86_64, the platform the build targets");
        for (String photo : new String[] {"china.jpg", "grace_hopper.jpg", "flower.jpg"}) {
            byte[] jpeg = TestImages.photo(photo);
            RgbImage jdk = DECODER.decode(jpeg, TARGET);
            RgbImage ffmpeg = NativeJpeg.decode(jpeg, jdk.width(), jdk.height(), 1).orElseThrow();
            // Measured: means of 0.04 levels for the 4:4:4 photos (china, flower; largest 3) and
            // 1.2 for the 4:2:0 one (largest 46 at a sharp colour edge): chroma is repeated where
            // libjpeg interpolates, and the inverse DCT differs.
            assertClose(jdk, ffmpeg, 2.0, 64, photo);
        }
    }

    @ParameterizedTest(name = "{0}x{1} grey={2} progressive={3}")
    @CsvSource({
        "500, 375, false, false", // the width not a multiple of 8, the height odd
        "37, 19, false, false",
        "1, 1, false, false",
        "501, 333, true, false",
        "203, 101, false, true",
    })
    void ffmpegDecodesEveryColumnAndRowOfAnyShape(int width, int height, boolean grey, boolean progressive) {
        // Smooth, so that a column or row left out (as swscale's SIMD path leaves out a width's
        // last pixels when not a multiple of 8: 240 levels) stands out from rounding; the
        // steepest gradient here, 37x19, differs most (2.6 levels on average, 8 at most).
        BufferedImage source = new BufferedImage(width, height, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                source.setRGB(x, y, (40 + 200 * x / width) << 16 | (40 + 200 * y / height) << 8 | 150);
            }
        }
        byte[] jpeg = TestImages.jpeg(source, 0.9f, progressive);
        RgbImage ffmpeg = NativeJpeg.decode(jpeg, width, height, 1).orElseThrow();
        assertArrayEquals(ffmpeg.rgb(), FAST.decode(jpeg, WHOLE).rgb(), "fast decodes whole JPEGs with FFmpeg");
        assertClose(DECODER.decode(jpeg, TARGET), ffmpeg, 4.0, 16, width + "x" + height);
    }

    /** Mean and largest difference of two decodes of one image, in levels. */
    private static void assertClose(RgbImage expected, RgbImage actual, double meanLevels, int maxLevels, String what) {
        assertEquals(expected.width(), actual.width(), what);
        assertEquals(expected.height(), actual.height(), what);
        long sum = 0;
        int worst = 0;
        for (int i = 0; i < expected.rgb().length; i++) {
            int d = Math.abs((expected.rgb()[i] & 0xff) - (actual.rgb()[i] & 0xff));
            sum += d;
            worst = Math.max(worst, d);
        }
        double mean = (double) sum / expected.rgb().length;
        assertTrue(mean <= meanLevels, what + ": mean difference " + mean + " levels");
        assertTrue(worst <= maxLevels, what + ": largest difference " + worst + " levels");
    }

    @Test
    void theAntialiasedResizeGetsTheWholeImage() {
        byte[] jpeg = TestImages.jpeg(TestImages.gradient(4000, 3000), 0.9f, false);
        Preprocessing torchvision = new Preprocessing(Preprocessing.Resize.ANTIALIAS, 0.875, Normalization.IMAGENET, false,
                Preprocessing.DEFAULT_MAX_PIXELS);
        RgbImage decoded = new ImageDecoder(torchvision).decode(jpeg, TARGET);
        assertEquals(4000, decoded.width(), "every pixel, as PIL's filter sees them");
        assertEquals(3000, decoded.height());
    }

    @Test
    void subsamplingStepKeepsTwiceTheTarget() {
        assertEquals(1, ImageDecoder.subsampling(640, 427, 224), "the golden photos are decoded whole");
        assertEquals(1, ImageDecoder.subsampling(895, 895, 224));
        assertEquals(2, ImageDecoder.subsampling(896, 2000, 224));
        assertEquals(89, ImageDecoder.subsampling(40000, 40000, 224));
    }

    @Test
    void pixelBombIsRefusedFromItsHeader() {
        byte[] bomb = TestImages.blackPng(40000, 40000);
        assertTrue(bomb.length < 4_000_000, "a real, complete PNG of only " + bomb.length + " bytes");

        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.decode(bomb, TARGET));
        assertEquals(Reason.TOO_MANY_PIXELS, e.reason());
        assertTrue(e.getMessage().contains("40000x40000"), e.getMessage());
        assertTrue(e.getMessage().contains("100000000"), e.getMessage());
    }

    @Test
    void pixelBudgetCountsPixels() {
        byte[] png = TestImages.encode(TestImages.gradient(100, 100), "png");
        ImageDecoder tight = new ImageDecoder(Preprocessing.keras().withMaxPixels(9_999));
        assertEquals(Reason.TOO_MANY_PIXELS, assertThrows(ImageDecodeException.class, () -> tight.decode(png, TARGET)).reason());
        assertEquals(100, new ImageDecoder(Preprocessing.keras().withMaxPixels(10_000)).decode(png, TARGET).width());
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDecoder(Preprocessing.keras().withMaxPixels(ImageDecoder.MAX_PIXEL_BUDGET + 1)));
    }

    // ---- bad inputs

    @Test
    void emptyInputIsRefused() {
        assertRefused(new byte[0], Reason.EMPTY, "empty");
    }

    @Test
    void randomBytesAndTextAreNotImages() {
        byte[] random = new byte[1000];
        new Random(42).nextBytes(random);
        assertRefused(random, Reason.UNKNOWN_FORMAT, "not a JPEG, PNG, GIF, BMP or WebP");
        byte[] text = "this file is named .jpg but it is text\n".getBytes(StandardCharsets.US_ASCII);
        assertRefused(text, Reason.UNKNOWN_FORMAT, "starts with 7468697320");
        assertRefused(new byte[] {'G'}, Reason.UNKNOWN_FORMAT, "starts with 47");
        assertRefused(new byte[] {(byte) 0x89, 'P', 'N'}, Reason.UNKNOWN_FORMAT, "starts with 89504e");
    }

    @Test
    void truncatedPngIsRefused() {
        byte[] png = TestImages.photo("ski_chelsea.png");
        assertRefused(Arrays.copyOf(png, 8), Reason.TRUNCATED, "truncated PNG");
        assertRefused(Arrays.copyOf(png, 33), Reason.TRUNCATED, "truncated PNG"); // signature and IHDR only
        assertRefused(Arrays.copyOf(png, png.length / 2), Reason.TRUNCATED, "truncated PNG");
    }

    @Test
    void truncatedJpegIsRefusedNotFilledWithGrey() {
        byte[] baseline = TestImages.photo("grace_hopper.jpg");
        assertRefused(Arrays.copyOf(baseline, baseline.length / 2), Reason.TRUNCATED, "truncated JPEG");
        byte[] progressive = TestImages.jpeg(TestImages.gradient(300, 200), 0.9f, true);
        assertRefused(Arrays.copyOf(progressive, progressive.length * 2 / 3), Reason.TRUNCATED, "truncated JPEG");
        // Large enough to be shrunk in the DCT, so fast would send it to FFmpeg, which returns what
        // it decoded: a stream without its end marker goes to ImageIO instead.
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> FAST.decode(Arrays.copyOf(baseline, baseline.length / 2), 64));
        assertEquals(Reason.TRUNCATED, e.reason());
    }

    @Test
    void truncatedWebpIsRefusedEvenWhereItsDecoderWouldNotNotice() {
        byte[] lossless = TestImages.resource("/webp/gradient-alpha-lossless.webp");
        assertRefused(Arrays.copyOf(lossless, lossless.length - 4), Reason.TRUNCATED, "truncated WebP");
        byte[] lossy = TestImages.resource("/webp/ski_chelsea-q90.webp");
        assertRefused(Arrays.copyOf(lossy, lossy.length / 2), Reason.TRUNCATED, "truncated WebP");
    }

    @Test
    void otherTruncationsAndCorruptionsAreRefused() {
        byte[] bmp = TestImages.encode(TestImages.gradient(40, 30), "bmp");
        assertRefused(Arrays.copyOf(bmp, bmp.length / 2), Reason.TRUNCATED, "truncated BMP");
        byte[] jpegHeaderOnly = Arrays.copyOf(TestImages.photo("grace_hopper.jpg"), 200);
        assertRefused(jpegHeaderOnly, Reason.CORRUPT, "corrupt JPEG");
        byte[] gif = TestImages.encode(TestImages.gradient(40, 30), "gif");
        assertRefused(Arrays.copyOf(gif, gif.length / 2), Reason.CORRUPT, "corrupt GIF");
    }

    private static void assertRefused(byte[] input, Reason reason, String messagePart) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.decode(input, TARGET));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    private static int indexOfSof(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            int marker = jpeg[i + 1] & 0xff;
            if ((jpeg[i] & 0xff) == 0xFF && (marker == 0xC0 || marker == 0xC2)) {
                return i;
            }
        }
        throw new AssertionError("no SOF0 or SOF2 marker");
    }

    private static double meanAbsoluteDifference(RgbImage a, RgbImage b) {
        long sum = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            sum += Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff));
        }
        return (double) sum / a.rgb().length;
    }
}
