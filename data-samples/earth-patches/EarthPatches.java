import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A stand-in for geotagged photos (run by prepare.sh beside it): square patches of NASA's Blue
 * Marble (an equirectangular image of the whole Earth, so every pixel's latitude and longitude
 * is known), centred on points drawn where NASA's Earth at night is bright, i.e. where people
 * live and take photos. Writes OUT/train and OUT/test: image_id, image (JPEG), lat, lng.
 */
public final class EarthPatches {

    /** Luminance of the night image's brightest background (lit land and ice, not lights). */
    static final double LIGHTS = 64;

    public static void main(String[] args) throws IOException {
        BufferedImage earth = ImageIO.read(new File(args[0]));
        BufferedImage lights = ImageIO.read(new File(args[1]));
        Path out = Path.of(args[2]);
        int train = Integer.parseInt(args[3]);
        int test = Integer.parseInt(args[4]);
        int size = Integer.parseInt(args[5]);
        Random random = new Random(2016);
        double[] cumulative = new double[lights.getWidth() * lights.getHeight()];
        double total = 0;
        for (int y = 0; y < lights.getHeight(); y++) {
            for (int x = 0; x < lights.getWidth(); x++) {
                int rgb = lights.getRGB(x, y);
                double luminance = 0.299 * (rgb >> 16 & 255) + 0.587 * (rgb >> 8 & 255) + 0.114 * (rgb & 255);
                // The image's land and polar ice glow faintly blue (luminance up to about 60); only
                // the lights above that count, by how much brighter they are.
                total += luminance > LIGHTS ? luminance - LIGHTS : 0;
                cumulative[y * lights.getWidth() + x] = total;
            }
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("earth patches")
                .config("spark.ui.enabled", false).getOrCreate();
        try {
            StructType schema = new StructType().add("image_id", DataTypes.StringType).add("image", DataTypes.BinaryType)
                    .add("lat", DataTypes.DoubleType).add("lng", DataTypes.DoubleType);
            for (String split : new String[] {"train", "test"}) {
                int count = split.equals("train") ? train : test;
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int pixel = Math.abs(java.util.Arrays.binarySearch(cumulative, random.nextDouble() * total) + 1);
                    pixel = Math.min(pixel, cumulative.length - 1);
                    double lng = ((pixel % lights.getWidth()) + random.nextDouble()) / lights.getWidth() * 360 - 180;
                    double lat = 90 - ((pixel / lights.getWidth()) + random.nextDouble()) / lights.getHeight() * 180;
                    rows.add(RowFactory.create(String.format("%s-%05d", split, i + 1), jpeg(patch(earth, lat, lng, size)),
                            lat, lng));
                }
                spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out.resolve(split).toString());
                System.out.println("wrote " + out.resolve(split) + ": " + rows.size() + " patches");
            }
        } finally {
            spark.stop();
        }
    }

    /** The size x size pixels of {@code earth} around (lat, lng): longitude wraps, latitude is clamped. */
    static BufferedImage patch(BufferedImage earth, double lat, double lng, int size) {
        int cx = (int) Math.floor((lng + 180) / 360 * earth.getWidth());
        int cy = (int) Math.floor((90 - lat) / 180 * earth.getHeight());
        BufferedImage patch = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sx = Math.floorMod(cx - size / 2 + x, earth.getWidth());
                int sy = Math.max(0, Math.min(earth.getHeight() - 1, cy - size / 2 + y));
                patch.setRGB(x, y, earth.getRGB(sx, sy));
            }
        }
        return patch;
    }

    static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        }
        writer.dispose();
        return bytes.toByteArray();
    }
}
