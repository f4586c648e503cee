package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;
import dev.mobilenetspark.model.image.DecodingBenchmark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole job on real photos and broken files, on the session the class shares. */
class InferJobTest extends SparkTestBase {

    private static final List<String> SMALL_MODEL = List.of("--alpha", "0.25", "--resolution", "128", "--batch-size", "4");

    private static Path images;
    private static Path parquet;

    @BeforeAll
    static void writeInputs() throws IOException {
        images = Files.createDirectories(dir.resolve("images"));
        List<Path> photos = SamplePhotos.list();
        for (Path photo : photos) {
            Files.copy(photo, images.resolve(photo.getFileName()));
        }
        byte[] china = Files.readAllBytes(SamplePhotos.DIR.resolve("china.jpg"));
        Files.write(images.resolve("cut.jpg"), Arrays.copyOf(china, china.length / 2));
        Files.writeString(images.resolve("notes.jpg"), "this is a text file, not a JPEG", StandardCharsets.UTF_8);

        List<Row> rows = new ArrayList<>();
        int id = 1;
        for (Path photo : photos) {
            rows.add(RowFactory.create(id++, Files.readAllBytes(photo), photo.getFileName().toString()));
        }
        rows.add(RowFactory.create(100, null, "null cell"));
        rows.add(RowFactory.create(101, new byte[0], "empty cell"));
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("image", DataTypes.BinaryType)
                .add("name", DataTypes.StringType);
        parquet = dir.resolve("table");
        spark.createDataFrame(rows, schema).repartition(2).write().parquet(parquet.toString());
    }

    /** The small model into {@code output}, with 10 classes unless {@code more} says otherwise. */
    private static JobSummary infer(Path output, String... more) {
        List<String> options = new ArrayList<>(List.of("--output", output.toString()));
        options.addAll(SMALL_MODEL);
        if (!List.of(more).contains("--classes")) {
            options.addAll(List.of("--classes", "10"));
        }
        return infer(options, more);
    }

    @Test
    void imageFilesGiveTheThreeTablesAndBrokenFilesBecomeErrors() {
        Path out = dir.resolve("out-images");
        JobSummary summary = infer(out, "--input", images.toString());
        assertCounts(9, 7, 2, summary);
        assertEquals(Map.of("decode", 2L), summary.failedByStage());
        assertEquals(1, summary.modelLoads());
        assertTrue(summary.firstBatchSeconds() >= summary.startupSeconds(), "the first batch is inferred after the first read: "
                + summary);
        assertTrue(summary.stages().decode() > 0 && summary.stages().infer() > 0 && summary.stages().write() > 0,
                summary.stages().toString());
        assertEquals(List.of(out + "/labels", out + "/embeddings", out + "/errors"), summary.written());

        Dataset<Row> labels = table(out, "labels");
        String lineage = "model_id:string,arch:string,alpha:double,resolution:int";
        assertEquals("struct<image_id:string,label_index:array<int>,label:array<string>,score:array<float>," + lineage
                + ",processed_at:timestamp,run_id:string,chunk:int>", labels.schema().simpleString());
        assertEquals("struct<image_id:string,embedding:array<float>," + lineage + ",run_id:string,chunk:int>",
                table(out, "embeddings").schema().simpleString());
        assertEquals("struct<image_id:string,source:string,stage:string,error:string," + lineage + ",run_id:string,chunk:int>",
                table(out, "errors").schema().simpleString());

        List<Row> labelRows = labels.collectAsList();
        assertEquals(7, labelRows.size());
        for (Row r : labelRows) {
            assertTrue(r.getString(0).startsWith("file:") && r.getString(0).matches(".*\\.(jpg|png)"), r.getString(0));
            List<Float> scores = r.getList(3);
            assertEquals(5, scores.size());
            for (int i = 1; i < scores.size(); i++) {
                assertTrue(scores.get(i - 1) >= scores.get(i), "scores best first");
            }
            assertEquals("class_" + r.getList(1).get(0), r.getList(2).get(0));
            assertTrue(r.getString(4).matches("[0-9a-f]{64}"));
            assertEquals("v1", r.getString(5));
            assertEquals(0.25, r.getDouble(6));
            assertEquals(128, r.getInt(7));
        }
        List<Row> embeddings = table(out, "embeddings").collectAsList();
        assertEquals(7, embeddings.size());
        embeddings.forEach(r -> assertEquals(256, r.getList(1).size()));

        Map<String, Row> errors = table(out, "errors").collectAsList().stream()
                .collect(Collectors.toMap(r -> Path.of(r.getString(0).replaceFirst("^file:", "")).getFileName().toString(), r -> r));
        assertEquals(2, errors.size());
        assertEquals("decode", errors.get("cut.jpg").getString(2));
        assertTrue(errors.get("cut.jpg").getString(3).startsWith("truncated JPEG"), errors.get("cut.jpg").getString(3));
        assertEquals("decode", errors.get("notes.jpg").getString(2));
        assertTrue(errors.get("notes.jpg").getString(3).startsWith("not a JPEG, PNG"), errors.get("notes.jpg").getString(3));
        assertEquals(errors.get("notes.jpg").getString(0), errors.get("notes.jpg").getString(1), "source is the file path");
        assertEquals(labelRows.get(0).getString(4), errors.get("cut.jpg").getString(4), "one model_id in every table");
        assertEquals(summary.chunks().runId(), errors.get("cut.jpg").getString(8), "the run that wrote the row");
        assertEquals(summary.chunks().runId(), labelRows.get(0).getString(9));
    }

    @Test
    void parquetInputCastsIdsAndReportsEmptyCells() {
        Path out = dir.resolve("out-parquet");
        assertCounts(9, 7, 2, infer(out, "--input", parquet.toString()));
        List<String> ids = table(out, "labels").select("image_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), ids.stream().sorted().toList());
        Map<String, Row> errors = table(out, "errors").collectAsList().stream().collect(Collectors.toMap(r -> r.getString(0), r -> r));
        assertEquals("read", errors.get("100").getString(2));
        assertEquals("the image cell is null", errors.get("100").getString(3));
        assertEquals("the image cell is empty", errors.get("101").getString(3));
        assertEquals(parquet.toString(), errors.get("101").getString(1));
    }

    @Test
    void keptColumnsOfParquetInputFollowTheirRowsIntoLabelsAndErrors() throws IOException {
        Path out = dir.resolve("out-kept");
        assertCounts(9, 7, 2, infer(out, "--input", parquet.toString(), "--keep-columns", "name"));
        Map<String, String> expected = new TreeMap<>(Map.of("100", "null cell", "101", "empty cell"));
        List<Path> photos = SamplePhotos.list();
        for (int i = 0; i < photos.size(); i++) {
            expected.put(Integer.toString(i + 1), photos.get(i).getFileName().toString());
        }
        Map<String, String> kept = new TreeMap<>();
        for (String name : List.of("labels", "errors")) {
            Dataset<Row> rows = table(out, name);
            assertEquals("name", rows.schema().fieldNames()[1], name + ": the kept column follows image_id");
            rows.select("image_id", "name").collectAsList().forEach(r -> kept.put(r.getString(0), r.getString(1)));
        }
        assertEquals(expected, kept);
        assertFalse(List.of(table(out, "embeddings").schema().fieldNames()).contains("name"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"v2, 1280", "v3-large, 320", "v3-small, 256"})
    void everyArchitectureRunsTheWholeJob(String arch, int embeddingSize) {
        Path out = dir.resolve("out-" + arch);
        assertCounts(9, 7, 2, infer(out, "--input", parquet.toString(), "--arch", arch));
        List<Row> labels = table(out, "labels").collectAsList();
        assertEquals(7, labels.size());
        labels.forEach(r -> assertEquals(arch, r.getString(5)));
        List<Row> embeddings = table(out, "embeddings").collectAsList();
        assertEquals(7, embeddings.size());
        embeddings.forEach(r -> assertEquals(embeddingSize, r.getList(1).size()));
    }

    @Test
    void theTrainedV2ModelLabelsThePhotosAsTensorFlowJsDoes() {
        // Top class and its probability from model/src/test/resources/golden/reference.json.
        Map<String, String> expectedLabel = Map.of("china.jpg", "Neutral", "flower.jpg", "Neutral",
                "grace_hopper.jpg", "Neutral", "ski_astronaut.png", "Neutral", "ski_chelsea.png", "Neutral",
                "ski_coffee.png", "Neutral", "ski_rocket.jpg", "Drawing");
        Map<String, Double> expectedScore = Map.of("china.jpg", 0.9967, "flower.jpg", 0.9953, "grace_hopper.jpg", 0.998,
                "ski_astronaut.png", 0.9331, "ski_chelsea.png", 0.9308, "ski_coffee.png", 0.9873, "ski_rocket.jpg", 0.8208);
        Path out = dir.resolve("out-nsfw");
        infer("infer", "--input", images.toString(), "--output", out.toString(),
                "--model", "../data-samples/models/mobilenet_v2_nsfw", "--top-k", "2");
        List<Row> labels = table(out, "labels").collectAsList();
        assertEquals(7, labels.size());
        for (Row r : labels) {
            String photo = Path.of(r.getString(0)).getFileName().toString();
            assertEquals(expectedLabel.get(photo), r.getList(2).get(0), photo);
            assertEquals(expectedScore.get(photo), ((Float) r.getList(3).get(0)).doubleValue(), 0.02, photo);
            assertEquals("v2", r.getString(5));
        }
        table(out, "embeddings").collectAsList().forEach(r -> assertEquals(1280, r.getList(1).size()));
    }

    @Test
    void duplicateIdsAreAllWrittenAndANullIdIsAnError() throws IOException {
        byte[] photo = Files.readAllBytes(SamplePhotos.list().get(0));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType);
        Path input = dir.resolve("ids");
        spark.createDataFrame(List.of(RowFactory.create("a", photo), RowFactory.create("a", photo),
                RowFactory.create(null, photo), RowFactory.create("b", photo)), schema).write().parquet(input.toString());
        Path out = dir.resolve("out-ids");
        JobSummary summary = infer(out, "--input", input.toString());
        assertEquals(2, summary.duplicateIds());
        assertCounts(4, 3, 1, summary);
        assertEquals(List.of("a", "a", "b"), table(out, "labels").select("image_id").as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList().stream().sorted().toList());
        Row error = table(out, "errors").first();
        assertTrue(error.isNullAt(0));
        assertEquals("read", error.getString(2));
        assertEquals("the image id is null", error.getString(3));
    }

    @Test
    void overTheErrorBudgetTheJobFailsAndWritesNothing() {
        Path out = dir.resolve("out-budget");
        CliRun run = CliRun.of("infer", "--input", images.toString(), "--output", out.toString(), "--alpha", "0.25",
                "--resolution", "128", "--classes", "10", "--max-error-fraction", "0.2");
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, run.exit(), run.err());
        String message = run.err().lines().filter(l -> l.startsWith("mobilenet-spark: 2 of 9")).findFirst().orElse(run.err());
        assertTrue(message.startsWith("mobilenet-spark: 2 of 9 rows failed (22.2%), over --max-error-fraction 0.2; chunk 0 was"
                + " not committed and the 0 committed before it stay: fix the input and run the same command to continue."
                + " First errors: file:"), message);
        assertTrue(message.contains("(decode): truncated JPEG"), message);
        assertFalse(Files.exists(out.resolve("labels")), "the chunk over budget was not published");

        assertEquals(0, CliRun.of("infer", "--input", images.toString(), "--output", out.toString(), "--alpha", "0.25",
                "--resolution", "128", "--classes", "10", "--max-error-fraction", "0.25").exit());
        assertTrue(Files.exists(out.resolve("labels")));
    }

    @Test
    void oneModelLoadPerJvmAcrossManyPartitions() {
        AtomicInteger tasks = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                tasks.incrementAndGet();
            }
        };
        spark.sparkContext().addSparkListener(listener);
        try {
            assertEquals(1, infer(dir.resolve("out-partitions"), "--input", images.toString(), "--partitions", "8").modelLoads());
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        assertTrue(tasks.get() >= 8, "ran " + tasks.get() + " tasks");
    }

    @Test
    void withoutEmbeddingsOrClassifierTheirTablesAreNotWritten() {
        Path noEmbeddings = dir.resolve("out-no-embeddings");
        infer(noEmbeddings, "--input", images.toString(), "--no-embeddings");
        assertFalse(Files.exists(noEmbeddings.resolve("embeddings")));
        assertEquals(7, table(noEmbeddings, "labels").count());

        Path headless = dir.resolve("out-headless");
        infer(headless, "--input", images.toString(), "--classes", "0");
        assertFalse(Files.exists(headless.resolve("labels")));
        assertEquals(7, table(headless, "embeddings").count());
        assertEquals(2, table(headless, "errors").count());
    }

    @Test
    void errorIfExistsRefusesAnExistingOutputAndWritesNothing() throws IOException {
        Path out = dir.resolve("out-exists");
        Files.createDirectories(out.resolve("labels"));
        Files.writeString(out.resolve("labels/keep.txt"), "earlier results");
        CliRun run = CliRun.of("infer", "--input", images.toString(), "--output", out.toString());
        assertEquals(2, run.exit());
        assertEquals("mobilenet-spark: output " + out.resolve("labels") + " already exists; choose another --output"
                + " or --mode overwrite or append", run.err().strip());
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve("labels")), files.toList());
        }
        assertEquals("earlier results", Files.readString(out.resolve("labels/keep.txt")));
    }

    @Test
    void catalogTablesInAndOut() {
        spark.read().parquet(parquet.toString()).write().saveAsTable("photos");
        JobSummary summary = infer("infer", "--input", "photos", "--input-format", "table", "--output-table-prefix", "default.run",
                "--alpha", "0.25", "--resolution", "128", "--classes", "10");
        assertEquals(List.of("default.run_labels", "default.run_embeddings", "default.run_errors"), summary.written());
        assertEquals(7, spark.table("default.run_labels").count());
        assertEquals(7, spark.table("default.run_embeddings").count());
        assertEquals("photos", spark.table("default.run_errors").select("source").first().getString(0));

        CliRun again = CliRun.of("infer", "--input", "photos", "--input-format", "table", "--output-table-prefix", "default.run",
                "--alpha", "0.25", "--resolution", "128", "--classes", "10");
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("mobilenet-spark: table default.run_labels already exists;"), again.err());
        assertEquals(7, spark.table("default.run_labels").count());
    }

    @Test
    void aRerunWithSkipExistingProcessesOnlyWhatIsNotInTheOutputYet() throws IOException {
        Path input = Files.createDirectories(dir.resolve("backfill"));
        List<Path> photos = SamplePhotos.list();
        for (Path photo : photos.subList(0, 4)) {
            Files.copy(photo, input.resolve(photo.getFileName()));
        }
        Files.writeString(input.resolve("broken.jpg"), "not an image");
        Path out = dir.resolve("out-backfill");
        String[] append = {"--input", input.toString(), "--mode", "append", "--skip-existing"};
        assertCounts(5, 4, 1, infer(out, append));

        JobSummary again = infer(out, append);
        assertCounts(0, 0, 0, again);
        assertEquals(5, again.skipped());

        for (Path photo : photos.subList(4, photos.size())) {
            Files.copy(photo, input.resolve(photo.getFileName()));
        }
        assertCounts(3, 3, 0, infer(out, append));
        Dataset<Row> labels = table(out, "labels");
        assertEquals(7, labels.count());
        assertEquals(7, labels.select("image_id").distinct().count());
        assertEquals(1, table(out, "errors").count());

        JobSummary otherModel = infer(out, "--input", input.toString(), "--mode", "append", "--skip-existing", "--seed", "99");
        assertEquals(8, otherModel.read(), "another model_id redoes everything");
        assertEquals(2, CliRun.of("infer", "--input", input.toString(), "--output", out.toString(), "--skip-existing").exit());
    }

    @Test
    void overwriteReplacesTheWholeOutputAndLeavesNoStagingBehind() throws IOException {
        Path out = dir.resolve("out-overwrite");
        infer(out, "--input", images.toString());
        assertTrue(Files.exists(out.resolve("embeddings")));
        infer(out, "--input", parquet.toString(), "--mode", "overwrite", "--no-embeddings");
        assertFalse(Files.exists(out.resolve("embeddings")), "the previous run's embeddings are replaced too");
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), table(out, "labels").select("image_id")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().sorted().toList());
        try (var files = Files.list(out)) {
            assertEquals(List.of("errors", "labels"), files.map(p -> p.getFileName().toString())
                    .filter(name -> !name.startsWith("_") && !name.startsWith(".")).sorted().toList());
        }
    }

    @Test
    void aRunThatFailsWhileStagingCommitsNothingAndTheSameRunThenFinishes() throws IOException {
        Path out = dir.resolve("out-failed");
        CliRun failed = CliRun.of("infer", "--input", parquet.toString(), "--output", FailingFileSystem.SCHEME + "://" + out,
                "--alpha", "0.25", "--resolution", "64", "--classes", "10");
        assertNotEquals(0, failed.exit(), failed.out());
        assertTrue(failed.err().contains("injected failure"), failed.err());
        try (var files = Files.list(out)) {
            assertEquals(List.of(ChunkedOutput.RUN_LOG), files.map(p -> p.getFileName().toString()).toList(),
                    "no staging, no table and no committed chunk are left behind");
        }

        JobSummary again = infer("infer", "--input", parquet.toString(), "--output", out.toString(), "--alpha", "0.25",
                "--resolution", "64", "--classes", "10");
        assertCounts(9, 7, 2, again);
        assertEquals(7, table(out, "labels").count());
        assertTrue(Files.readString(out.resolve(ChunkedOutput.RUN_LOG)).contains("state=complete"));
    }

    @Test
    void overwriteReplacesAndAppendAdds() {
        Path out = dir.resolve("out-modes");
        infer(out, "--input", images.toString(), "--format", "json");
        infer(out, "--input", images.toString(), "--format", "json", "--mode", "append");
        assertEquals(14, spark.read().json(out.resolve("labels").toString()).count());
        infer(out, "--input", images.toString(), "--format", "json", "--mode", "overwrite");
        assertEquals(7, spark.read().json(out.resolve("labels").toString()).count());
    }

    /** bench --end-to-end runs the job over replicated photos and ends with its BENCH-E2E line. */
    @Test
    void endToEndBenchmarkLabelsEveryReplicatedPhoto() throws IOException {
        CliRun run = CliRun.of("bench", "--end-to-end", "--images", "40", "--alpha", "0.25", "--resolution", "64",
                "--batch", "8", "--classes", "10", "--photos", SamplePhotos.DIR.toString(),
                "--work-dir", dir.resolve("bench").toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.lastLine().matches("BENCH-E2E arch=v1 alpha=0.25 resolution=64 batch=8 images=40 startup_s=\\d+\\.\\d"
                + " images_per_s=\\d+\\.\\d warm_images_per_s=-1\\.0 peak_rss_mb=\\d+ precision=fp32 decode_scaling=reference"), run.lastLine());
        Dataset<Row> labels = table(dir.resolve("bench").resolve("output"), "labels");
        assertEquals(40, labels.select("image_id").distinct().count());
        // Each row holds its own JPEG, as in a table of distinct photos: a dictionary would keep
        // each of the few photos once per file.
        int smallest = DecodingBenchmark.reencode(SamplePhotos.DIR, EndToEndBenchmark.WIDTH, EndToEndBenchmark.HEIGHT)
                .stream().mapToInt(jpeg -> jpeg.length).min().orElseThrow();
        long input;
        try (Stream<Path> files = Files.walk(dir.resolve("bench").resolve("input.parquet"))) {
            input = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).mapToLong(f -> f.toFile().length()).sum();
        }
        assertTrue(input >= 40L * smallest, input + " bytes of input for 40 JPEGs of at least " + smallest);
    }
}
