import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.FileImageOutputStream;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Seven versions of each photo of a directory, for measuring near-duplicate search (run by
 * prepare.sh beside it): the original file, half size, JPEG quality 25, the centre 85%, 30%
 * brighter, a black border of a tenth of each side, and a watermark in a corner. Files are
 * named PHOTO__VERSION.EXT, so the photo a version came from is the part before "__".
 */
public final class Versions {

    public static void main(String[] args) throws IOException {
        Path photos = Path.of(args[0]);
        Path out = Files.createDirectories(Path.of(args[1]));
        List<Path> files;
        try (Stream<Path> list = Files.list(photos)) {
            files = list.filter(p -> p.toString().matches(".*\\.(jpg|png)")).sorted().toList();
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            String stem = name.substring(0, name.lastIndexOf('.'));
            BufferedImage image = rgb(ImageIO.read(file.toFile()));
            int w = image.getWidth();
            int h = image.getHeight();
            Files.copy(file, out.resolve(stem + "__original" + name.substring(name.lastIndexOf('.'))));
            jpeg(scaled(image, w / 2, h / 2), 0.9f, out.resolve(stem + "__half.jpg"));
            jpeg(image, 0.25f, out.resolve(stem + "__quality25.jpg"));
            int cw = (int) (w * 0.85);
            int ch = (int) (h * 0.85);
            jpeg(image.getSubimage((w - cw) / 2, (h - ch) / 2, cw, ch), 0.9f, out.resolve(stem + "__crop85.jpg"));
            jpeg(brighter(image, 1.3), 0.9f, out.resolve(stem + "__brighter.jpg"));
            jpeg(bordered(image, w / 10, h / 10), 0.9f, out.resolve(stem + "__border.jpg"));
            jpeg(watermarked(image), 0.9f, out.resolve(stem + "__watermark.jpg"));
        }
        System.out.println("wrote " + 7 * files.size() + " images to " + out);
    }

    static BufferedImage rgb(BufferedImage image) {
        BufferedImage copy = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = copy.createGraphics();
        g.drawImage(image, 0, 0, null);
        g.dispose();
        return copy;
    }

    static BufferedImage scaled(BufferedImage image, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(image.getScaledInstance(w, h, Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        return out;
    }

    static BufferedImage brighter(BufferedImage image, double factor) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int r = Math.min(255, (int) ((p >> 16 & 255) * factor));
                int g = Math.min(255, (int) ((p >> 8 & 255) * factor));
                int b = Math.min(255, (int) ((p & 255) * factor));
                out.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return out;
    }

    static BufferedImage bordered(BufferedImage image, int bw, int bh) {
        BufferedImage out = new BufferedImage(image.getWidth() + 2 * bw, image.getHeight() + 2 * bh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(image, bw, bh, null);
        g.dispose();
        return out;
    }

    static BufferedImage watermarked(BufferedImage image) {
        BufferedImage out = rgb(image);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        int boxW = out.getWidth() / 3;
        int boxH = out.getHeight() / 8;
        g.setColor(new Color(255, 255, 255, 200));
        g.fillRect(out.getWidth() - boxW - 8, out.getHeight() - boxH - 8, boxW, boxH);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(10, boxH / 2)));
        g.drawString("(c) 2026 sample", out.getWidth() - boxW, out.getHeight() - 8 - boxH / 3);
        g.dispose();
        return out;
    }

    static void jpeg(BufferedImage image, float quality, Path file) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        try (FileImageOutputStream stream = new FileImageOutputStream(file.toFile())) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
