package dev.mobilenetspark.model.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** The project's sample photos, their golden inputs, and images encoded on the fly. */
public final class TestImages {

    private static final Path PHOTOS = Path.of("..", "data-samples", "photos");

    private TestImages() {
    }

    public static byte[] photo(String fileName) {
        try {
            return Files.readAllBytes(PHOTOS.resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] resource(String path) {
        try (InputStream in = TestImages.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden 1x224x224x3 input: RGB / 255, tfjs resizeBilinear with alignCorners, float32 LE. */
    public static float[] golden(String photoName) {
        ByteBuffer bytes = ByteBuffer.wrap(resource("/golden/inputs/" + photoName + ".nhwc224.f32"))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer for image type " + image.getType());
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] jpeg(BufferedImage image, float quality, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** {@code jpeg} with an EXIF segment holding only the orientation tag, placed after SOI. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        try (DataOutputStream t = new DataOutputStream(tiff)) {
            t.writeBytes("MM");
            t.writeShort(42);
            t.writeInt(8);         // first IFD right after the header
            t.writeShort(1);       // one entry
            t.writeShort(0x0112);  // Orientation
            t.writeShort(3);       // SHORT
            t.writeInt(1);
            t.writeShort(orientation);
            t.writeShort(0);       // padding of the 4-byte value field
            t.writeInt(0);         // no next IFD
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] exif = concat("Exif\0\0".getBytes(StandardCharsets.US_ASCII), tiff.toByteArray());
        ByteBuffer segment = ByteBuffer.allocate(4 + exif.length);
        segment.put((byte) 0xFF).put((byte) 0xE1).putShort((short) (2 + exif.length)).put(exif);
        byte[] soi = {jpeg[0], jpeg[1]};
        byte[] rest = java.util.Arrays.copyOfRange(jpeg, 2, jpeg.length);
        return concat(soi, concat(segment.array(), rest));
    }

    /**
     * A complete, valid 1-bit grey PNG of {@code width x height} black pixels: deflated zero rows
     * make it a few hundred kilobytes however large it claims to be.
     */
    static byte[] blackPng(int width, int height) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        writeChunk(png, "IHDR", header.array());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_SPEED), 1 << 16)) {
            byte[] row = new byte[1 + (width + 7) / 8]; // filter byte 0, then the packed pixels
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeChunk(png, "IDAT", idat.toByteArray());
        writeChunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Interleaved RGB where pixel (x, y) is R = x, G = y, B = x + y (mod 256): every pixel tells where it came from. */
    static byte[] gradientBytes(int width, int height) {
        byte[] rgb = new byte[3 * width * height];
        int i = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                rgb[i++] = (byte) x;
                rgb[i++] = (byte) y;
                rgb[i++] = (byte) (x + y);
            }
        }
        return rgb;
    }

    /** {@link #gradientBytes} as an image to encode. */
    static BufferedImage gradient(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        byte[] rgb = gradientBytes(width, height);
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return image;
    }

    static int[] pixel(RgbImage image, int x, int y) {
        int i = 3 * (y * image.width() + x);
        byte[] p = image.rgb();
        return new int[] {p[i] & 0xff, p[i + 1] & 0xff, p[i + 2] & 0xff};
    }
}
