package dev.mobilenetspark.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** data-samples/photos.parquet holds the sample photos as rows (id, image, source): data-samples/regenerate.sh writes it. */
class SampleParquetTest extends SparkTestBase {

    private static final Path SAMPLE = Path.of("../data-samples/photos.parquet");

    @Test
    void sampleParquetHoldsEveryPhoto() throws IOException {
        List<Path> photos = SamplePhotos.list();
        List<Row> rows = spark.read().parquet(SAMPLE.toString()).orderBy("id").collectAsList();
        assertEquals(photos.size(), rows.size(), "regenerate data-samples/photos.parquet with data-samples/regenerate.sh");
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(i + 1, rows.get(i).getLong(0));
            assertEquals("photos/" + photos.get(i).getFileName(), rows.get(i).getString(2));
            assertArrayEquals(Files.readAllBytes(photos.get(i)), (byte[]) rows.get(i).get(1), rows.get(i).getString(2));
        }
    }
}
