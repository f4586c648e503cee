package dev.mobilenetspark.job;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * data-samples/photos.parquet holds the sample photos as rows (id, image, source). This test
 * checks it against the photos; {@code -Dmobilenet.regenerate-samples=true} rewrites it first:
 * {@code mvn -pl model,job install -Dtest=SampleParquetTest -Dsurefire.failIfNoSpecifiedTests=false -Dmobilenet.regenerate-samples=true}.
 */
class SampleParquetTest {

    private static final Path SAMPLE = Path.of("../data-samples/photos.parquet");
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[1]").appName("SampleParquetTest")
                .config("spark.ui.enabled", false).getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }


    @Test
    void sampleParquetHoldsEveryPhoto(@TempDir Path dir) throws IOException {
        List<Path> photos = SamplePhotos.list();
        if (Boolean.getBoolean("mobilenet.regenerate-samples")) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < photos.size(); i++) {
                rows.add(RowFactory.create((long) i + 1, Files.readAllBytes(photos.get(i)), "photos/" + photos.get(i).getFileName()));
            }
            StructType schema = new StructType().add("id", DataTypes.LongType).add("image", DataTypes.BinaryType)
                    .add("source", DataTypes.StringType);
            Path out = dir.resolve("parquet");
            spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out.toString());
            try (var parts = Files.list(out)) {
                Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
                Files.copy(part, SAMPLE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<Row> rows = spark.read().parquet(SAMPLE.toString()).orderBy("id").collectAsList();
        assertEquals(photos.size(), rows.size(), "regenerate data-samples/photos.parquet (see this class)");
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(i + 1, rows.get(i).getLong(0));
            assertEquals("photos/" + photos.get(i).getFileName(), rows.get(i).getString(2));
            assertArrayEquals(Files.readAllBytes(photos.get(i)), (byte[]) rows.get(i).get(1), rows.get(i).getString(2));
        }
    }
}
