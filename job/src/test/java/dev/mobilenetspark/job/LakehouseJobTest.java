package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Dataset;
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
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delta tables by path and in Spark's catalog, Iceberg tables in a Hadoop catalog: written
 * through each format's own writer, read back from a new session, replaced, appended to and
 * resumed without a row twice.
 */
@SparkTestBase.SessionSettings({
        "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension,org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.databricks.delta.snapshotPartitions=2",
        "spark.sql.catalog.lake=org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.catalog.lake.type=hadoop",
        "spark.sql.catalog.lake.warehouse=${dir}/iceberg"})
class LakehouseJobTest extends SparkTestBase {

    private static final String PHOTOS = "../data-samples/photos.parquet";

    /** A session of its own (its own catalog cache and settings view) over the same cluster. */
    private static SparkSession another() {
        return spark.newSession();
    }

    private static Dataset<Row> delta(SparkSession session, Path table) {
        return session.read().format("delta").load(table.toString());
    }

    /** Every input row once over labels and errors, ids from {@code labels} and {@code errors}. */
    private static void assertEveryRowOnce(Dataset<Row> labels, Dataset<Row> errors, int rows) {
        List<Row> ids = labels.select("image_id").union(errors.select("image_id")).collectAsList();
        assertEquals(rows, ids.size(), "rows written");
        assertEquals(rows, ids.stream().map(r -> r.getString(0)).distinct().count(), "no row twice");
    }

    /** The add actions of a Delta table's log, each with the row count Delta's writer recorded in its stats. */
    private static List<Long> addedRecordCounts(Path table) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Long> counts = new ArrayList<>();
        try (Stream<Path> commits = Files.list(table.resolve("_delta_log"))) {
            for (Path commit : commits.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                for (String line : Files.readAllLines(commit, StandardCharsets.UTF_8)) {
                    JsonNode add = json.readTree(line).get("add");
                    if (add != null) {
                        counts.add(json.readTree(add.get("stats").asText()).get("numRecords").asLong());
                    }
                }
            }
        }
        return counts;
    }

    @Test
    void deltaByPathIsWrittenByDeltasWriterReplacedAndAppendedTo() throws IOException {
        Path out = dir.resolve("delta-out");
        JobSummary first = infer(smallInfer("--input", PHOTOS, "--output", out.toString(), "--format", "delta"));
        assertCounts(7, 7, 0, first);
        for (String table : List.of("labels", "embeddings", "errors")) {
            assertTrue(Files.isDirectory(out.resolve(table).resolve("_delta_log")), table + " is a Delta table");
        }
        List<Long> counts = addedRecordCounts(out.resolve("labels"));
        assertTrue(!counts.isEmpty() && counts.stream().allMatch(n -> n >= 0), counts.toString());
        assertEquals(7, counts.stream().mapToLong(Long::longValue).sum(), "numRecords over the add actions");
        assertEveryRowOnce(delta(another(), out.resolve("labels")), delta(another(), out.resolve("errors")), 7);
        assertEquals(List.of(first.chunks().runId()), delta(another(), out.resolve("embeddings")).select("run_id")
                .distinct().collectAsList().stream().map(r -> r.getString(0)).toList());

        JobSummary appended = infer(smallInfer("--input", PHOTOS, "--output", out.toString(), "--format", "delta", "--mode", "append"));
        assertEquals(14, delta(another(), out.resolve("labels")).count());
        assertEquals(2, delta(another(), out.resolve("labels")).select("run_id").distinct().count());
        assertEquals(List.of(1), delta(another(), out.resolve("labels")).where(col("run_id").equalTo(appended.chunks().runId()))
                .select("chunk").distinct().collectAsList().stream().map(r -> r.getInt(0)).toList(),
                "an appending run numbers its chunks after the committed ones");

        infer(smallInfer("--input", PHOTOS, "--output", out.toString(), "--format", "delta", "--mode", "overwrite", "--no-embeddings"));
        assertEquals(7, delta(another(), out.resolve("labels")).count(), "overwritten, as a new version");
        assertEquals(14, another().read().format("delta").option("versionAsOf", 1).load(out.resolve("labels").toString())
                .count(), "the appended version is still there to travel back to");
        assertTrue(Files.notExists(out.resolve("embeddings")), "a table the new run does not write is gone");
    }

    @Test
    void deltaOverwritingAParquetOutputLeavesNoParquetChunkBehind() throws IOException {
        Path out = dir.resolve("parquet-then-delta");
        infer(smallInfer("--input", PHOTOS, "--output", out.toString()));
        assertTrue(Files.isDirectory(out.resolve("labels/chunk=0")));
        infer(smallInfer("--input", PHOTOS, "--output", out.toString(), "--format", "delta", "--mode", "overwrite"));
        assertTrue(Files.notExists(out.resolve("labels/chunk=0")), "the Parquet chunk is gone");
        assertEquals(7, delta(another(), out.resolve("labels")).count());
    }

    @Test
    void deltaByPathResumesAndNeverCommitsAChunkTwice() throws IOException {
        Path input = SamplePhotos.copies(dir.resolve("delta-resume-in"), 12);
        Path out = dir.resolve("delta-resume");
        Path broken = input.resolve("even/img-008.jpg");
        Path good = dir.resolve("good.jpg");
        Files.copy(broken, good);
        Files.writeString(broken, "not an image", StandardCharsets.UTF_8);
        List<String> command = List.of(smallInfer("--input", input.toString(), "--recursive", "--output", out.toString(),
                "--format", "delta", "--chunk-rows", "4", "--max-errors", "0"));

        CliRun stopped = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, stopped.exit(), stopped.err());
        assertEquals(4, delta(spark, out.resolve("labels")).count(), "chunk 0 stays committed");

        Files.copy(good, broken, StandardCopyOption.REPLACE_EXISTING);
        JobSummary finished = infer(command.toArray(String[]::new));
        assertEquals(4, finished.skipped());
        assertCounts(8, 8, 0, finished);
        assertEveryRowOnce(delta(another(), out.resolve("labels")), delta(another(), out.resolve("errors")), 12);

        // A driver that died after its Delta commits and before the chunk's record: the same
        // command runs the chunk again, and Delta takes none of its commits twice.
        Files.delete(out.resolve("_chunks/2"));
        Path log = out.resolve("_run");
        Files.writeString(log, Files.readString(log).replace("state=complete", "state=running"));
        JobSummary again = infer(command.toArray(String[]::new));
        assertEquals(4, again.read(), "chunk 2 inferred again");
        assertTrue(Files.exists(out.resolve("_chunks/2")));
        assertEveryRowOnce(delta(another(), out.resolve("labels")), delta(another(), out.resolve("errors")), 12);
        assertEquals(1, delta(another(), out.resolve("labels")).select("run_id").distinct().count(), "one run, continued");
    }

    /** Writes into the catalog through {@code prefix}, stops at a bad second chunk, then finishes. */
    private static JobSummary resumeInCatalog(String prefix, String format) throws IOException {
        Path input = SamplePhotos.copies(dir.resolve(format + "-catalog-in"), 12);
        Path broken = input.resolve("even/img-008.jpg");
        Path good = dir.resolve(format + "-good.jpg");
        Files.copy(broken, good);
        Files.writeString(broken, "not an image", StandardCharsets.UTF_8);
        List<String> command = List.of(smallInfer("--input", input.toString(), "--recursive", "--output-table-prefix", prefix,
                "--format", format, "--chunk-rows", "4", "--max-errors", "0"));

        CliRun stopped = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, stopped.exit(), stopped.err());
        assertEquals(4, spark.table(prefix + "_labels").count(), "chunk 0 stays committed");
        List<String> otherModel = new ArrayList<>(command);
        otherModel.addAll(List.of("--seed", "99"));
        CliRun refused = CliRun.of(otherModel.toArray(String[]::new));
        assertEquals(MobileNetCli.BAD_ARGUMENT, refused.exit());
        assertTrue(refused.err().contains("holds an unfinished run of model"), refused.err());

        Files.copy(good, broken, StandardCopyOption.REPLACE_EXISTING);
        JobSummary finished = infer(command.toArray(String[]::new));
        assertEquals(4, finished.skipped(), "the committed chunk is not done again");
        assertCounts(8, 8, 0, finished);
        SparkSession other = another();
        assertEveryRowOnce(other.table(prefix + "_labels"), other.table(prefix + "_errors"), 12);
        assertEquals(List.of(finished.chunks().runId()), other.table(prefix + "_embeddings").select("run_id").distinct()
                .collectAsList().stream().map(r -> r.getString(0)).toList(), "one run, continued");
        assertEquals("complete", other.sql("SHOW TBLPROPERTIES " + prefix + "_errors ('mobilenet.state')").first().getString(1));
        assertTrue(other.sql("SHOW TBLPROPERTIES " + prefix + "_errors").where(col("key").equalTo("mobilenet.reason")).isEmpty(),
                "the stopped attempt's reason went with its state");
        assertEquals(MobileNetCli.BAD_ARGUMENT, CliRun.of(command.toArray(String[]::new)).exit(),
                "a finished run's tables are not replaced");
        return finished;
    }

    @Test
    void deltaInTheCatalogResumesAndIsReplacedAndAppendedTo() throws IOException {
        resumeInCatalog("default.delta_photos", "delta");
        assertEquals("delta", spark.sql("DESCRIBE DETAIL default.delta_photos_labels").first().getAs("format"));
        infer(smallInfer("--input", PHOTOS, "--output-table-prefix", "default.delta_photos", "--format", "delta", "--mode", "append"));
        assertEquals(19, another().table("default.delta_photos_labels").count());
        infer(smallInfer("--input", PHOTOS, "--output-table-prefix", "default.delta_photos", "--format", "delta", "--mode", "overwrite"));
        assertEquals(7, another().table("default.delta_photos_labels").count());
    }

    @Test
    void icebergInACatalogResumesAndIsReplacedAndAppendedTo() throws IOException {
        JobSummary finished = resumeInCatalog("lake.db.photos", "iceberg");
        List<Row> chunks = spark.table("lake.db.photos_labels.snapshots")
                .where(col("summary").getItem("mobilenet.run-id").equalTo(finished.chunks().runId()))
                .select(col("summary").getItem("mobilenet.chunk")).collectAsList();
        assertEquals(List.of("0", "1", "2"), chunks.stream().map(r -> r.getString(0)).sorted().toList(),
                "one snapshot per chunk, each naming its run and chunk");
        infer(smallInfer("--input", PHOTOS, "--output-table-prefix", "lake.db.photos", "--format", "iceberg", "--mode", "append"));
        assertEquals(19, another().table("lake.db.photos_labels").count());
        infer(smallInfer("--input", PHOTOS, "--output-table-prefix", "lake.db.photos", "--format", "iceberg", "--mode", "overwrite"));
        assertEquals(7, another().table("lake.db.photos_labels").count());
    }

    @Test
    void lakehouseTablesAreReadAsInput() {
        Dataset<Row> photos = spark.read().parquet(PHOTOS);
        Path deltaPhotos = dir.resolve("delta-photos");
        photos.write().format("delta").save(deltaPhotos.toString());
        photos.writeTo("lake.db.input_photos").createOrReplace();

        JobSummary fromDelta = infer(smallInfer("--input", deltaPhotos.toString(), "--output", dir.resolve("from-delta").toString()));
        JobSummary fromIceberg = infer(smallInfer("--input", "lake.db.input_photos", "--input-format", "table",
                "--output", dir.resolve("from-iceberg").toString()));
        assertCounts(7, 7, 0, fromDelta);
        assertCounts(7, 7, 0, fromIceberg);
        assertEquals(table(dir.resolve("from-delta"), "labels").select("image_id", "label").orderBy("image_id").collectAsList(),
                table(dir.resolve("from-iceberg"), "labels").select("image_id", "label").orderBy("image_id").collectAsList());
    }

    @Test
    void icebergNeedsACatalog() {
        CliRun run = CliRun.of(smallInfer("--input", PHOTOS, "--output", dir.resolve("nope").toString(), "--format", "iceberg"));
        assertEquals(MobileNetCli.BAD_ARGUMENT, run.exit());
        assertTrue(run.err().contains("--format iceberg writes into a catalog"), run.err());
    }
}
