package dev.mobilenetspark.model.image;

import com.twelvemonkeys.imageio.plugins.bmp.BMPImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import dev.mobilenetspark.model.OptionNames;
import dev.mobilenetspark.model.image.ImageDecodeException.Reason;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataFormatImpl;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.Node;

/**
 * Turns encoded image bytes into the 8-bit RGB samples that the reference pipelines (PIL's
 * convert('RGB'), tf.image.decode_*) hand to a model, in bounded memory, and turns every bad
 * input into one {@link ImageDecodeException}.
 *
 * <ul>
 *   <li>Formats: JPEG (one large enough to shrink, as {@link Scaling} says, and with
 *       {@link Scaling#FAST} any, by FFmpeg, {@link NativeJpeg}, shrunk in the DCT; any other,
 *       including CMYK and YCCK, a profile to apply, a stream cut short or one FFmpeg refuses, through TwelveMonkeys,
 *       which converts CMYK to RGB with the embedded profile or a generic CMYK one), PNG (any bit depth, palette,
 *       grey, alpha), GIF (first frame), BMP and WebP (both TwelveMonkeys; its lossy WebP decoder
 *       differs from libwebp's by 1.5 to 3 levels on average). Readers are chosen here, not by
 *       ImageIO's classpath scan, so that a shaded jar or a Spark executor's class loader cannot
 *       change which reader decodes an image.</li>
 *   <li>Colour: an embedded ICC profile is ignored unless {@link Preprocessing#convertToSrgb()},
 *       because models are trained on unconverted samples. Conversion applies to JPEG profiles;
 *       the JDK's PNG reader never applies iCCP.</li>
 *   <li>Orientation: a JPEG's EXIF orientation is applied, so the model sees the upright picture.</li>
 *   <li>Memory: the pixel budget is checked against the header before any pixel is decoded, and a
 *       large image is decoded smaller: a JPEG in the DCT, others by source subsampling (see
 *       {@link #subsampling}).</li>
 *   <li>Truncation: a JPEG cut short decodes to grey rows with only a reader warning, and a
 *       lossless WebP cut short by a few bytes decodes to wrong pixels without one; both are
 *       refused here as {@link Reason#TRUNCATED}, as tf.image.decode_jpeg and PIL refuse them.</li>
 * </ul>
 *
 * <p>Thread-safe: each call uses its own reader.
 */
public final class ImageDecoder {

    /** The largest budget whose RGB copy still fits one Java array. */
    static final long MAX_PIXEL_BUDGET = (Integer.MAX_VALUE - 8) / 3;

    private record Format(String name, ImageReaderSpi spi) {
    }

    private static final Format WEBP = new Format("WebP", new WebPImageReaderSpi());

    private static final List<Format> FORMATS = List.of(
            new Format("JPEG", twelveMonkeysJpeg()),
            new Format("PNG", jdkReader("png")),
            new Format("GIF", jdkReader("gif")),
            new Format("BMP", new BMPImageReaderSpi()),
            WEBP);

    /**
     * Which decoder a JPEG goes to, and how far one larger than the model needs is shrunk in the
     * inverse DCT (by 2, 4 or 8) while it is decoded. Other formats, and JPEGs that take the
     * ImageIO path, are subsampled as {@link #subsampling} says whatever the choice.
     */
    public enum Scaling {
        /**
         * Shrink only while the decoded shorter side stays at least twice the side the resize
         * needs, whole for the antialiased resize: the photos models are usually shown (up to
         * about four times the input) decode whole with the JDK's libjpeg and match the reference
         * pipelines, which decode whole; only larger ones go to FFmpeg and are shrunk, more
         * faithfully than by subsampling.
         */
        REFERENCE(2, true),
        /**
         * Shrink while the decoded shorter side stays at least the side the resize needs (PIL's
         * {@code draft} rule), and decode every JPEG FFmpeg takes with FFmpeg, whole ones too: a
         * 500x375 photo decodes in about half the JDK reader's time, and at 1/2 for a 128-pixel
         * model. The model then sees slightly different samples from the reference pipelines'
         * (FFmpeg's rounding, and a smoother image where the DCT averages what their bilinear
         * resize skips): measured on the sample photos in the README.
         */
        FAST(1, false);

        /** The decoded shorter side kept, in multiples of the side the resize needs. */
        private final int margin;
        /**
         * Whether a JPEG the reference pipelines decode whole (one not shrunk, and every one for
         * the antialiased resize, which sees every pixel) keeps the JDK's libjpeg, whose samples
         * are theirs.
         */
        private final boolean exact;

        Scaling(int margin, boolean exact) {
            this.margin = margin;
            this.exact = exact;
        }

        public String format() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Scaling parse(String text) {
            return OptionNames.parse(values(), Scaling::format, text, "decode scaling");
        }
    }

    private final long maxPixels;
    private final boolean convertToSrgb;
    private final boolean antialiased;
    private final Scaling scaling;

    /** Uses the pixel budget, the colour handling and the resize of {@code preprocessing}, scaling {@link Scaling#REFERENCE}. */
    public ImageDecoder(Preprocessing preprocessing) {
        this(preprocessing, Scaling.REFERENCE);
    }

    /** As {@link #ImageDecoder(Preprocessing)}, shrinking JPEGs as {@code scaling} says. */
    public ImageDecoder(Preprocessing preprocessing, Scaling scaling) {
        if (preprocessing.maxPixels() > MAX_PIXEL_BUDGET) {
            throw new IllegalArgumentException("pixel budget " + preprocessing.maxPixels()
                    + " is over " + MAX_PIXEL_BUDGET + ", the most one RGB array can hold");
        }
        this.maxPixels = preprocessing.maxPixels();
        this.convertToSrgb = preprocessing.convertToSrgb();
        this.antialiased = preprocessing.resize() == Preprocessing.Resize.ANTIALIAS;
        this.scaling = scaling;
    }

    /**
     * Decodes one image, upright and with its shorter side at least {@code 2 * targetShortSide}
     * (or its full size when that is smaller); whole for the antialiased resize.
     *
     * @param targetShortSide the shorter side the caller will resize to
     * @throws ImageDecodeException for any input that does not decode to a whole image
     */
    public RgbImage decode(byte[] bytes, int targetShortSide) {
        if (targetShortSide < 1) {
            throw new IllegalArgumentException("target short side must be positive, got " + targetShortSide);
        }
        if (bytes.length == 0) {
            throw new ImageDecodeException(Reason.EMPTY, "empty input: zero bytes");
        }
        if (NativeJpeg.AVAILABLE) {
            Optional<RgbImage> decoded = JpegHeader.read(bytes).flatMap(h -> nativeJpeg(bytes, h, targetShortSide));
            if (decoded.isPresent()) {
                return decoded.get();
            }
        }
        return decodeWithImageIo(bytes, targetShortSide);
    }

    /** {@link #decode} through ImageIO's readers alone: the fallback, and the decoding benchmark's baseline. */
    RgbImage decodeWithImageIo(byte[] bytes, int targetShortSide) {
        try (ImageInputStream input = new ByteArrayImageInputStream(bytes)) {
            Format format = formatOf(input, bytes);
            if (format == WEBP) {
                checkRiffLength(bytes);
            }
            ImageReader reader = format.spi().createReaderInstance();
            try {
                // Ignoring metadata keeps the PNG reader from inflating text chunks, a memory bomb
                // of their own; the JPEG reader still parses the EXIF it needs for orientation.
                reader.setInput(input, true, true);
                return read(reader, format, targetShortSide);
            } catch (IOException | RuntimeException e) {
                if (e instanceof ImageDecodeException decodeFailure) {
                    throw decodeFailure;
                }
                throw readerFailure(format, e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageDecodeException(Reason.CORRUPT, "cannot read the input: " + e, e);
        }
    }

    private static Format formatOf(ImageInputStream input, byte[] bytes) throws IOException {
        for (Format f : FORMATS) {
            try {
                if (f.spi().canDecodeInput(input)) {
                    return f;
                }
            } catch (EOFException shorterThanTheSignature) {
                input.seek(0); // the reader's reset to its mark was skipped
            }
        }
        throw new ImageDecodeException(Reason.UNKNOWN_FORMAT,
                "not a JPEG, PNG, GIF, BMP or WebP image; it starts with " + hexPrefix(bytes));
    }

    /** A WebP file is one RIFF chunk whose header (after "RIFF") gives its length. */
    private static void checkRiffLength(byte[] bytes) {
        long declared = 8 + (ByteBuffer.wrap(bytes, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL);
        if (declared > bytes.length) {
            throw new ImageDecodeException(Reason.TRUNCATED, "truncated WebP: its RIFF header declares "
                    + declared + " bytes, the input has " + bytes.length);
        }
    }

    private RgbImage read(ImageReader reader, Format format, int targetShortSide) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        checkBudget(format.name(), width, height);
        ImageReadParam param = reader.getDefaultReadParam();
        // PIL's antialiased resize sees every pixel; keeping every step-th one first would alias.
        int step = antialiased ? 1 : subsampling(width, height, targetShortSide);
        param.setSourceSubsampling(step, step, 0, 0);
        if (!convertToSrgb) {
            embeddedColourSpace(reader).ifPresent(param::setDestinationType);
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0, param);
        if (warnings.stream().anyMatch(ImageDecoder::isTruncationWarning)) {
            throw new ImageDecodeException(Reason.TRUNCATED,
                    "truncated " + format.name() + ": " + String.join("; ", warnings));
        }
        return orientation(reader).apply(RawSamples.of(image));
    }

    /**
     * A JPEG of one or three components, whole, with no profile to apply, decoded by FFmpeg: with
     * {@link Scaling#FAST} always, with {@link Scaling#REFERENCE} only when it is large enough to
     * be shrunk in the DCT, because at full size the JDK's libjpeg gives the reference pipelines'
     * samples exactly and FFmpeg's differ by about a level. Empty for every other JPEG and for a
     * stream FFmpeg refuses, which the ImageIO path then decodes or refuses with the same
     * reasons as before.
     */
    private Optional<RgbImage> nativeJpeg(byte[] bytes, JpegHeader header, int targetShortSide) {
        int scale = dctScale(header.width(), header.height(), antialiased && scaling.exact
                ? Integer.MAX_VALUE : (long) scaling.margin * targetShortSide);
        if ((scale == 1 && scaling.exact) || (header.components() != 1 && header.components() != 3)
                || (convertToSrgb && header.iccProfile()) || !header.complete()) {
            return Optional.empty();
        }
        checkBudget("JPEG", header.width(), header.height());
        return NativeJpeg.decode(bytes, header.width(), header.height(), scale).map(image -> header.orientation().apply(image));
    }

    /** The largest of the DCT scales 1/2, 1/4, 1/8 that keeps the shorter side at least {@code minShortSide}; else 1. */
    static int dctScale(int width, int height, long minShortSide) {
        int shortSide = Math.min(width, height);
        for (int scale = 8; scale > 1; scale /= 2) {
            if (shortSide / scale >= minShortSide) {
                return scale;
            }
        }
        return 1;
    }

    private void checkBudget(String format, int width, int height) {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageDecodeException(Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "%s of %dx%d = %d pixels is over the budget of %d pixels", format, width, height, pixels, maxPixels));
        }
    }

    /**
     * The largest whole step that keeps the decoded shorter side at least twice the target: the
     * decoded shorter side lands between two and four times the target. An image up to about
     * twice the target (the usual photo at 224) is decoded whole and matches the references
     * exactly; a 40 megapixel photo is never held at full size. Keeping every step-th pixel is
     * what a bilinear resize that shrinks by more than two does anyway (neither antialiases), so
     * the model input stays close to the one made from the whole image.
     */
    static int subsampling(int width, int height, int targetShortSide) {
        return (int) Math.max(1, Math.min(width, height) / (2L * targetShortSide));
    }

    /**
     * The reader's image type in the embedded profile's own colour space, if it offers one.
     * Reading into it leaves the samples as stored; the default type is sRGB, into which
     * TwelveMonkeys' JPEG reader would convert them.
     */
    private static Optional<ImageTypeSpecifier> embeddedColourSpace(ImageReader reader) throws IOException {
        for (Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0); types.hasNext(); ) {
            ImageTypeSpecifier type = types.next();
            ColorSpace space = type.getColorModel().getColorSpace();
            if (space.getType() == ColorSpace.TYPE_RGB && !space.isCS_sRGB()) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    private static Orientation orientation(ImageReader reader) throws IOException {
        IIOMetadata metadata = reader.getImageMetadata(0);
        if (metadata == null || !metadata.isStandardMetadataFormatSupported()) {
            return Orientation.NORMAL;
        }
        Node node = child(child(metadata.getAsTree(IIOMetadataFormatImpl.standardMetadataFormatName),
                "Dimension"), "ImageOrientation");
        Node value = node == null ? null : node.getAttributes().getNamedItem("value");
        return value == null ? Orientation.NORMAL : Orientation.fromMetadataName(value.getNodeValue());
    }

    private static Node child(Node parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n;
            }
        }
        return null;
    }

    // libjpeg's warnings for data that ends early (it then fills the rest with grey), and the
    // JDK reader's own for a missing end marker, which is all a progressive JPEG cut between
    // scans produces.
    private static boolean isTruncationWarning(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return w.contains("premature end") || w.contains("missing eoi");
    }

    private static ImageDecodeException readerFailure(Format format, Exception e) {
        StringBuilder detail = new StringBuilder();
        boolean truncated = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            truncated |= t instanceof EOFException;
            detail.append(detail.length() == 0 ? "" : ": ")
                    .append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
        }
        return truncated
                ? new ImageDecodeException(Reason.TRUNCATED, "truncated " + format.name() + ": " + detail, e)
                : new ImageDecodeException(Reason.CORRUPT, "corrupt " + format.name() + ": " + detail, e);
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xff));
        }
        return hex + (bytes.length > 8 ? "..." : "");
    }

    /**
     * TwelveMonkeys' JPEG reader wraps the JDK's and finds it when registered; registering it
     * ourselves does not depend on the context class loader having scanned the classpath.
     */
    private static ImageReaderSpi twelveMonkeysJpeg() {
        IIORegistry registry = IIORegistry.getDefaultInstance();
        JPEGImageReaderSpi spi = new JPEGImageReaderSpi();
        registry.registerServiceProvider(spi, ImageReaderSpi.class);
        if (!registry.contains(spi)) {
            throw new IllegalStateException("TwelveMonkeys' JPEG reader did not find the JDK's JPEG reader to wrap");
        }
        return spi;
    }

    /** The JDK's own reader, picked by module because other readers may claim the same format. */
    private static ImageReaderSpi jdkReader(String formatName) {
        Iterator<ImageReaderSpi> spis = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class,
                spi -> spi.getClass().getModule() == ImageIO.class.getModule()
                        && List.of(((ImageReaderSpi) spi).getFormatNames()).contains(formatName),
                false);
        if (!spis.hasNext()) {
            throw new IllegalStateException("the JDK has no " + formatName + " reader");
        }
        return spis.next();
    }
}
