import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Writes DIR/photos.parquet from the photos in DIR/photos (run by regenerate.sh beside it). */
public final class SampleParquet {

    public static void main(String[] args) throws IOException {
        Path samples = Path.of(args[0]);
        List<Path> photos;
        try (Stream<Path> files = Files.list(samples.resolve("photos"))) {
            photos = files.filter(p -> p.toString().matches(".*\\.(jpg|png)")).sorted(Comparator.naturalOrder()).toList();
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < photos.size(); i++) {
            rows.add(RowFactory.create((long) i + 1, Files.readAllBytes(photos.get(i)), "photos/" + photos.get(i).getFileName()));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType).add("image", DataTypes.BinaryType)
                .add("source", DataTypes.StringType);
        Path out = Files.createTempDirectory("photos-parquet").resolve("parquet");
        SparkSession spark = SparkSession.builder().master("local[1]").appName("regenerate photos.parquet")
                .config("spark.ui.enabled", false).getOrCreate();
        try {
            spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out.toString());
        } finally {
            spark.stop();
        }
        try (Stream<Path> parts = Files.list(out)) {
            Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.copy(part, samples.resolve("photos.parquet"), StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.println("wrote " + samples.resolve("photos.parquet") + ": " + rows.size() + " photos");
    }
}
