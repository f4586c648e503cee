package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parquet tables through saveAsTable into a real Hive metastore (Spark's Hive support over an
 * embedded Derby database in the class's directory), read back from a new session.
 */
@SparkTestBase.SessionSettings({
        "spark.sql.catalogImplementation=hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=${dir}/metastore_db;create=true"})
class HiveCatalogJobTest extends SparkTestBase {


    private static long rows(String table) {
        return spark.newSession().table(table).count();
    }

    @Test
    void parquetTablesLiveInTheMetastoreAndAreReplacedAndAppendedTo() {
        String photos = "../data-samples/photos.parquet";
        infer(smallInfer("--input", photos, "--output-table-prefix", "default.photos"));
        SparkSession other = spark.newSession();
        assertEquals("hive", other.conf().get("spark.sql.catalogImplementation"));
        assertTrue(other.sql("SHOW TABLES IN default").collectAsList().stream().map(r -> r.getString(1)).toList()
                .containsAll(List.of("photos_labels", "photos_embeddings", "photos_errors")));
        List<Row> provider = other.sql("DESCRIBE TABLE EXTENDED default.photos_labels").where("col_name = 'Provider'")
                .collectAsList();
        assertEquals("parquet", provider.get(0).getString(1));
        assertTrue(Files.isDirectory(dir.resolve("metastore_db")), "Derby holds the metastore");
        assertEquals(7, rows("default.photos_labels"));

        CliRun again = CliRun.of(smallInfer("--input", photos, "--output-table-prefix", "default.photos"));
        assertEquals(MobileNetCli.BAD_ARGUMENT, again.exit());
        assertTrue(again.err().contains("table default.photos_labels already exists"), again.err());

        infer(smallInfer("--input", photos, "--output-table-prefix", "default.photos", "--mode", "append"));
        assertEquals(14, rows("default.photos_labels"));
        infer(smallInfer("--input", photos, "--output-table-prefix", "default.photos", "--mode", "overwrite"));
        assertEquals(7, rows("default.photos_labels"));
    }

    @Test
    void aStoppedRunIsFinishedByAppendingWhatIsNotThereYet() throws IOException {
        Path input = SamplePhotos.copies(dir.resolve("hive-in"), 12);
        Path broken = input.resolve("even/img-008.jpg");
        Path good = dir.resolve("good.jpg");
        Files.copy(broken, good);
        Files.writeString(broken, "not an image", StandardCharsets.UTF_8);
        List<String> command = List.of(smallInfer("--input", input.toString(), "--recursive",
                "--output-table-prefix", "default.stopped", "--chunk-rows", "4", "--max-errors", "0"));
        CliRun stopped = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, stopped.exit(), stopped.err());
        assertEquals(4, rows("default.stopped_labels"));

        // Parquet tables keep no run state: a new run appends what the tables do not hold yet.
        Files.copy(good, broken, StandardCopyOption.REPLACE_EXISTING);
        List<String> resume = new ArrayList<>(command);
        resume.addAll(List.of("--mode", "append", "--skip-existing"));
        JobSummary finished = infer(resume.toArray(String[]::new));
        assertEquals(4, finished.skipped());
        assertCounts(8, 8, 0, finished);
        List<Row> ids = spark.newSession().table("default.stopped_labels").select("image_id")
                .union(spark.newSession().table("default.stopped_errors").select("image_id")).collectAsList();
        assertEquals(12, ids.size());
        assertEquals(12, ids.stream().map(r -> r.getString(0)).distinct().count());
    }
}
