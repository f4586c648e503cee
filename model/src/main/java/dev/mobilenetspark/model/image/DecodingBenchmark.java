package dev.mobilenetspark.model.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Milliseconds per JPEG, on one thread, of each way {@link ImageDecoder} can decode it: ImageIO
 * (TwelveMonkeys over the JDK's reader, whose libjpeg is the JDK's own or the system's,
 * subsampling as {@link ImageDecoder#subsampling} says), and FFmpeg whole and at each DCT
 * scale that keeps the shorter side at least the target. The inputs are photos re-encoded at a
 * given size (see {@link #reencode}). Timed as the model benchmark times passes, in the image
 * package because the decoders' two paths are its own.
 */
public final class DecodingBenchmark {

    /** The quality the benchmarks' JPEGs are written at: ImageNet's photos are mostly 90 or more. */
    private static final float QUALITY = 0.9f;

    /** One decoder on one size: the median over the photos' runs of ms per image, and the decoded size. */
    public record Row(String size, String decoder, double msPerImage, int decodedWidth, int decodedHeight) { }

    private DecodingBenchmark() {
    }

    /**
     * For JPEGs of one size ({@code width} x {@code height}): every decoder, each timed over
     * {@code runs} runs of at least {@code minSeconds} cycling through {@code jpegs}.
     */
    public static List<Row> run(List<byte[]> jpegs, int width, int height, int targetShortSide, int runs,
                                double minSeconds) {
        String size = width + "x" + height;
        ImageDecoder reference = new ImageDecoder(Preprocessing.keras());
        List<Row> rows = new ArrayList<>();
        rows.add(time(size, "imageio", jpegs, runs, minSeconds, b -> reference.decodeWithImageIo(b, targetShortSide)));
        for (int scale = 1; scale <= 8; scale *= 2) {
            if (scale > 1 && Math.min(width, height) / scale < targetShortSide) {
                break;
            }
            int s = scale;
            rows.add(time(size, "ffmpeg 1/" + scale, jpegs, runs, minSeconds,
                    b -> NativeJpeg.decode(b, width, height, s).orElseThrow(() -> new ImageDecodeException(
                            ImageDecodeException.Reason.CORRUPT, "FFmpeg refused a benchmark JPEG"))));
        }
        return rows;
    }

    private interface Decode {
        RgbImage apply(byte[] jpeg);
    }

    private static Row time(String size, String decoder, List<byte[]> jpegs, int runs, double minSeconds, Decode decode) {
        RgbImage last = null;
        for (byte[] jpeg : jpegs) { // warm-up: class loading, the JIT, native libraries
            last = decode.apply(jpeg);
        }
        double[] ms = new double[runs];
        for (int run = 0; run < runs; run++) {
            long start = System.nanoTime();
            long images = 0;
            double elapsed;
            do {
                last = decode.apply(jpegs.get((int) (images % jpegs.size())));
                images++;
                elapsed = (System.nanoTime() - start) / 1e9;
            } while (elapsed < minSeconds);
            ms[run] = 1000 * elapsed / images;
        }
        Arrays.sort(ms);
        return new Row(size, decoder, ms[runs / 2], last.width(), last.height());
    }

    /** Each .jpg or .png photo in {@code dir} scaled to {@code width} x {@code height} (bilinear) and written as a quality-90 JPEG. */
    public static List<byte[]> reencode(Path dir, int width, int height) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(p -> p.toString().matches("(?i).*\\.(jpe?g|png)")).sorted().toList();
        }
        List<byte[]> jpegs = new ArrayList<>();
        for (Path file : files) {
            BufferedImage photo = ImageIO.read(file.toFile());
            BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = scaled.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(photo, 0, 0, width, height, null);
            g.dispose();
            jpegs.add(jpeg(scaled));
        }
        if (jpegs.isEmpty()) {
            throw new IllegalArgumentException("no .jpg or .png photos in " + dir);
        }
        return jpegs;
    }

    private static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(QUALITY);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
