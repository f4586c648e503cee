package dev.mobilenetspark.model.image;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A small JPEG of an image, upright, its longer side {@code size} pixels: what a run report
 * shows. Decoded as the model decodes (same formats, orientation, pixel budget and errors).
 */
public final class Thumbnail {

    private Thumbnail() {
    }

    /**
     * @throws ImageDecodeException for input the model could not decode either
     */
    public static byte[] jpeg(byte[] encoded, Preprocessing preprocessing, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("thumbnail size must be positive, got " + size);
        }
        RgbImage image = new ImageDecoder(preprocessing).decode(encoded, size);
        double scale = Math.min(1.0, size / (double) Math.max(image.width(), image.height()));
        int width = Math.max(1, (int) Math.round(image.width() * scale));
        int height = Math.max(1, (int) Math.round(image.height() * scale));
        BufferedImage full = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] rgb = image.rgb();
        int[] pixels = new int[image.width() * image.height()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (rgb[3 * i] & 255) << 16 | (rgb[3 * i + 1] & 255) << 8 | rgb[3 * i + 2] & 255;
        }
        full.setRGB(0, 0, image.width(), image.height(), pixels, 0, image.width());
        BufferedImage small = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(full.getScaledInstance(width, height, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        return encode(small);
    }

    private static byte[] encode(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.85f);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(bytes)) {
                writer.setOutput(stream);
                writer.write(null, new IIOImage(image, null, null), param);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("JPEG encoding into memory failed", e);
        } finally {
            writer.dispose();
        }
    }
}
