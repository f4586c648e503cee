package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Manifests: tables and files of image paths, read by the executors, chunked by a plan the
 * output keeps, with the user's own columns carried into the labels and errors tables.
 */
class ManifestInputTest extends SparkTestBase {

    /** {@code count} copies of the sample photos, as absolute paths in name order. */
    private static List<Path> photos(String name, int count) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        List<Path> samples = SamplePhotos.list();
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path sample = samples.get(i % samples.size());
            Path copy = root.resolve(String.format("img-%03d-%s", i, sample.getFileName()));
            Files.copy(sample, copy);
            copies.add(copy.toAbsolutePath());
        }
        return copies;
    }

    private static List<String> args(Path manifest, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("infer", "--input", manifest.toString(), "--input-format", "manifest",
                "--output", output.toString()));
        args.addAll(SMALL_MODEL);
        args.addAll(List.of(more));
        return args;
    }

    private static List<String> leftovers(Path output) throws IOException {
        try (Stream<Path> files = Files.list(output)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("_plan") || n.startsWith("_staging"))
                    .toList();
        }
    }

    @Test
    void aCsvManifestIsReadByTheExecutorsAndItsKeptColumnsReachLabelsAndErrors() throws IOException {
        List<Path> photos = photos("csv", 7);
        StringBuilder csv = new StringBuilder("key,path,truth\n");
        for (int i = 0; i < photos.size(); i++) {
            // file: URIs and plain paths alike: any Hadoop file system's names.
            csv.append("k").append(i).append(',').append(i % 2 == 0 ? photos.get(i).toUri() : photos.get(i)).append(",t")
                    .append(i).append('\n');
        }
        csv.append("gone,").append(dir.resolve("csv/no-such.jpg").toAbsolutePath()).append(",t-gone\n");
        Path manifest = Files.writeString(dir.resolve("manifest.csv"), csv, StandardCharsets.UTF_8);
        Path out = dir.resolve("out-csv");

        JobSummary summary = infer(args(manifest, out, "--id-column", "key", "--keep-columns", "truth",
                "--chunk-rows", "3").toArray(String[]::new));

        assertCounts(8, 7, 1, summary);
        assertEquals(3, summary.chunks().total());
        assertEquals(0, summary.chunks().committedBefore());
        assertEquals(3, summary.chunks().firstChunkRows(), "the plan's first chunk: three rows of the manifest");
        double first = summary.chunks().firstCommitSeconds();
        assertTrue(first > 0 && first < summary.runSeconds(), first + " s of " + summary.runSeconds());
        assertEquals(5, summary.warmImages(), "the second and third chunks' rows");
        assertEquals(List.of("image_id", "truth", "label_index", "label", "score", "model_id", "arch", "alpha", "resolution",
                "processed_at", "run_id", "chunk"), List.of(table(out, "labels").columns()));
        Map<String, String> truth = table(out, "labels").select("image_id", "truth").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1)));
        assertEquals(7, truth.size());
        for (int i = 0; i < 7; i++) {
            assertEquals("t" + i, truth.get("k" + i));
        }
        Row gone = table(out, "errors").select("image_id", "truth", "stage", "source").first();
        assertEquals(List.of("gone", "t-gone", "read"), List.of(gone.getString(0), gone.getString(1), gone.getString(2)));
        assertTrue(gone.getString(3).endsWith("no-such.jpg"), "the error names the manifest's path: " + gone);
        assertEquals(List.of(), leftovers(out), "the plan goes when the run completes");
    }

    @Test
    void aParquetManifestStoppedByItsBudgetResumesFromItsPlanAndRefusesAChangedManifest() throws IOException {
        List<Path> photos = photos("budget", 8);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < photos.size(); i++) {
            rows.add(RowFactory.create((long) i, photos.get(i).toString()));
        }
        Path manifest = dir.resolve("manifest-parquet");
        spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("path", DataTypes.StringType))
                .coalesce(1).write().parquet(manifest.toString());
        // Rows are planned in file order: chunk 1 holds ids 4 to 7.
        Files.writeString(photos.get(5), "not an image", StandardCharsets.UTF_8);
        Files.writeString(photos.get(6), "not an image either", StandardCharsets.UTF_8);
        Path out = dir.resolve("out-budget");
        List<String> command = args(manifest, out, "--chunk-rows", "4", "--max-errors", "1");

        CliRun stopped = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, stopped.exit(), stopped.err());
        assertEquals(4, table(out, "labels").count());
        assertEquals(1, leftovers(out).size(), "the plan stays for the rerun: " + leftovers(out));

        Path extra = manifest.resolve("more.parquet");
        try (Stream<Path> files = Files.list(manifest)) {
            Files.copy(files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow(), extra);
        }
        CliRun changed = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.BAD_ARGUMENT, changed.exit());
        assertTrue(changed.err().contains("the manifest " + manifest + " changed since run"), changed.err());
        Files.delete(extra);
        List<String> otherChunks = new ArrayList<>(command);
        otherChunks.set(otherChunks.indexOf("--chunk-rows") + 1, "3");
        CliRun rechunked = CliRun.of(otherChunks.toArray(String[]::new));
        assertEquals(MobileNetCli.BAD_ARGUMENT, rechunked.exit());
        assertTrue(rechunked.err().contains("planned chunks of 4 rows; run it again with --chunk-rows 4"), rechunked.err());

        Files.copy(SamplePhotos.list().get(0), photos.get(5), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(SamplePhotos.list().get(1), photos.get(6), StandardCopyOption.REPLACE_EXISTING);
        JobSummary finished = infer(command.toArray(String[]::new));
        assertCounts(4, 4, 0, finished);
        assertEquals(4, finished.skipped(), "the committed chunk is not done again");
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), table(out, "labels").select("image_id")
                .orderBy("image_id").collectAsList().stream().map(r -> r.getString(0)).toList());
        assertEquals(1, table(out, "labels").select("run_id").distinct().count(), "one run, continued");
        assertEquals(List.of(), leftovers(out));
    }

    @Test
    void aCatalogTableOfPathsIsAManifestToo() throws IOException {
        List<Path> photos = photos("table", 5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < photos.size(); i++) {
            rows.add(RowFactory.create("p" + i, photos.get(i).toUri().toString(), i % 2 == 0 ? "even" : "odd"));
        }
        spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("uri", DataTypes.StringType)
                .add("parity", DataTypes.StringType)).createOrReplaceTempView("photo_paths");
        Path out = dir.resolve("out-table");
        try {
            JobSummary summary = infer("infer", "--input", "photo_paths", "--input-format", "manifest-table",
                    "--path-column", "uri", "--keep-columns", "parity", "--output", out.toString(), "--alpha", "0.25",
                    "--resolution", "64", "--classes", "10", "--chunk-rows", "2");
            assertCounts(5, 5, 0, summary);
            assertEquals(3, summary.chunks().total());
            assertEquals(List.of("even", "even", "even", "odd", "odd"), table(out, "labels").select("parity")
                    .orderBy("parity").collectAsList().stream().map(r -> r.getString(0)).toList());
            assertFalse(List.of(table(out, "embeddings").columns()).contains("parity"), "embeddings stay lean");
        } finally {
            spark.catalog().dropTempView("photo_paths");
        }
    }
}
