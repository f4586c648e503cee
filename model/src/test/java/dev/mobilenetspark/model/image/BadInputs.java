package dev.mobilenetspark.model.image;

import com.twelvemonkeys.imageio.color.ColorSpaces;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The inputs a batch job over files it did not make meets, each with its documented outcome:
 * generated here (not kept as fixtures) so that every case says how it was made. The model's
 * decoder tests and the job's whole-run test both use it.
 */
public final class BadInputs {

    /**
     * One input file.
     *
     * @param fileName    what it is called on disk (the extension is part of some cases)
     * @param bytes       its content
     * @param errorStage  null if it must be labelled; else the stage of its error row
     * @param messagePart for an error, a part of the message the row must carry
     */
    public record Case(String fileName, byte[] bytes, String errorStage, String messagePart) {

        public boolean labelled() {
            return errorStage == null;
        }
    }

    private BadInputs() {
    }

    public static List<Case> all() {
        byte[] photo = TestImages.photo("grace_hopper.jpg");
        byte[] png = TestImages.encode(TestImages.gradient(64, 48), "png");
        return List.of(
                labelled("grey.jpg", TestImages.jpeg(grey(40, 30), 0.9f, false)),
                labelled("cmyk.jpg", TestImages.jpeg(cmyk(40, 30), 0.9f, false)),
                labelled("progressive.jpg", TestImages.jpeg(TestImages.gradient(120, 80), 0.9f, true)),
                labelled("sixteen-bit.png", TestImages.encode(sixteenBit(20, 10), "png")),
                labelled("alpha.png", TestImages.encode(new BufferedImage(30, 20, BufferedImage.TYPE_INT_ARGB), "png")),
                labelled("palette.gif", TestImages.encode(TestImages.gradient(32, 16), "gif")),
                labelled("animated.gif", animatedGif()),
                labelled("image.bmp", TestImages.encode(TestImages.gradient(30, 20), "bmp")),
                labelled("one-pixel.png", TestImages.encode(TestImages.gradient(1, 1), "png")),
                labelled("sixteen-by-2000.png", TestImages.encode(TestImages.gradient(16, 2000), "png")),
                labelled("exif-rotated.jpg", TestImages.withExifOrientation(TestImages.jpeg(TestImages.gradient(40, 30), 0.9f, false), 6)),
                error("empty.jpg", new byte[0], "empty"),
                error("truncated.jpg", Arrays.copyOf(photo, photo.length / 2), "truncated JPEG"),
                error("random.jpg", random(2000), "not a JPEG, PNG, GIF, BMP or WebP"),
                error("text.jpg", "a text file named .jpg\n".getBytes(StandardCharsets.US_ASCII), "not a JPEG, PNG"),
                error("png-signature-only.png", Arrays.copyOf(png, 8), "truncated PNG"),
                error("png-cut-in-data.png", Arrays.copyOf(png, png.length - 40), "truncated PNG"),
                error("png-scrambled-data.png", scrambleImageData(png), "corrupt PNG"),
                error("bomb-40000x40000.png", TestImages.blackPng(40000, 40000), "40000x40000"));
    }

    private static Case labelled(String name, byte[] bytes) {
        return new Case(name, bytes, null, null);
    }

    private static Case error(String name, byte[] bytes, String messagePart) {
        return new Case(name, bytes, "decode", messagePart);
    }

    private static BufferedImage grey(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        image.getGraphics().drawImage(TestImages.gradient(width, height), 0, 0, null);
        return image;
    }

    /** A four-channel image that TwelveMonkeys writes as a CMYK JPEG (Adobe APP14). */
    private static BufferedImage cmyk(int width, int height) {
        ComponentColorModel model = new ComponentColorModel(ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK),
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {x * 6, y * 8, 128, 20});
            }
        }
        return new BufferedImage(model, raster, false, null);
    }

    private static BufferedImage sixteenBit(int width, int height) {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {x * 3000, y * 6000, 40000});
            }
        }
        return new BufferedImage(model, raster, false, null);
    }

    /** Two frames; the job labels the first. */
    private static byte[] animatedGif() {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            writer.writeToSequence(new IIOImage(TestImages.gradient(32, 16), null, null), null);
            writer.writeToSequence(new IIOImage(grey(32, 16), null, null), null);
            writer.endWriteSequence();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    /** The PNG with the middle of its compressed image data overwritten (its chunk CRC left as it was). */
    private static byte[] scrambleImageData(byte[] png) {
        byte[] scrambled = png.clone();
        int idat = indexOf(png, "IDAT".getBytes(StandardCharsets.US_ASCII));
        int length = ((png[idat - 4] & 0xFF) << 24) | ((png[idat - 3] & 0xFF) << 16) | ((png[idat - 2] & 0xFF) << 8) | (png[idat - 1] & 0xFF);
        Random random = new Random(11);
        for (int i = idat + 4 + length / 4; i < idat + 4 + length * 3 / 4; i++) {
            scrambled[i] = (byte) random.nextInt(256);
        }
        return scrambled;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("not found");
    }
}
