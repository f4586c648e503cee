import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST's IDX files as Parquet tables of PNG images (run by prepare.sh beside it):
 * OUT/train and OUT/test with columns image_id (train-00001, ...), image (a 28x28 grey PNG) and
 * label (the class name), so that one table is both infer's input (--id-column image_id) and
 * train-head's labels.
 */
public final class FashionMnist {

    /** The classes in the order of the IDX label values (Fashion-MNIST's README). */
    static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot"};

    public static void main(String[] args) throws IOException {
        Path idx = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int trainLimit = args.length > 2 ? Integer.parseInt(args[2]) : Integer.MAX_VALUE;
        int testLimit = args.length > 3 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("prepare fashion-mnist")
                .config("spark.ui.enabled", false).getOrCreate();
        try {
            for (String split : new String[] {"train", "test"}) {
                String prefix = split.equals("train") ? "train" : "t10k";
                List<Row> rows = rows(idx.resolve(prefix + "-images-idx3-ubyte.gz"), idx.resolve(prefix + "-labels-idx1-ubyte.gz"),
                        split, split.equals("train") ? trainLimit : testLimit);
                StructType schema = new StructType().add("image_id", DataTypes.StringType)
                        .add("image", DataTypes.BinaryType).add("label", DataTypes.StringType);
                spark.createDataFrame(rows, schema).repartition(Math.max(1, rows.size() / 10_000)).write()
                        .parquet(out.resolve(split).toString());
                System.out.println("wrote " + out.resolve(split) + ": " + rows.size() + " images");
            }
        } finally {
            spark.stop();
        }
    }

    private static List<Row> rows(Path images, Path labels, String split, int limit) throws IOException {
        try (DataInputStream pixels = open(images, 2051); DataInputStream classes = open(labels, 2049)) {
            int count = pixels.readInt();
            if (classes.readInt() != count) {
                throw new IOException(images + " and " + labels + " hold different counts");
            }
            int height = pixels.readInt();
            int width = pixels.readInt();
            byte[] buffer = new byte[height * width];
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < Math.min(count, limit); i++) {
                pixels.readFully(buffer);
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
                image.getRaster().setDataElements(0, 0, width, height, buffer);
                ByteArrayOutputStream png = new ByteArrayOutputStream();
                ImageIO.write(image, "png", png);
                rows.add(RowFactory.create(String.format("%s-%05d", split, i + 1), png.toByteArray(),
                        CLASSES[classes.readUnsignedByte()]));
            }
            return rows;
        }
    }

    private static DataInputStream open(Path file, int magic) throws IOException {
        InputStream in = new GZIPInputStream(Files.newInputStream(file));
        DataInputStream data = new DataInputStream(in);
        int found = data.readInt();
        if (found != magic) {
            data.close();
            throw new IOException(file + " is not an IDX file of that kind (magic " + found + ", expected " + magic + ")");
        }
        return data;
    }
}
