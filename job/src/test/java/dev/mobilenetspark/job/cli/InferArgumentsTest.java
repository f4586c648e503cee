package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.CliRun;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arguments are resolved and checked on the driver before any Spark session exists. */
class InferArgumentsTest {

    @TempDir
    Path dir;

    @AfterEach
    void noSparkWasStarted() {
        assertTrue(SparkSession.getDefaultSession().isEmpty(), "a bad argument must be reported before Spark starts");
        System.clearProperty("spark.mobilenet.top-k");
        System.clearProperty("spark.mobilenet.batch-size");
        System.clearProperty("spark.mobilenet.bogus");
        System.clearProperty("spark.mobilenet.train-head.labels");
        System.clearProperty("spark.mobilenet.train-head.holdout");
        System.clearProperty("spark.mobilenet.train-head.top-k");
    }

    private void refused(String expected, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exit(), run.err());
        // Other stderr lines can only be the environment's log warnings (e.g. about the hostname).
        List<String> ours = run.err().lines().filter(l -> l.startsWith("mobilenet-spark")).toList();
        assertEquals(List.of("mobilenet-spark: " + expected), ours);
        assertEquals("", run.out());
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws IOException {
        String photos = "../data-samples/photos";
        String out = dir.resolve("out").toString();
        refused("input /no/such/dir does not exist", "infer", "--input", "/no/such/dir", "--output", out);
        refused("unknown architecture 'v9': expected one of v1, v1-fullconv, v2, v3-large, v3-small",
                "infer", "--input", photos, "--output", out, "--arch", "v9");
        refused("alpha must be in (0, 2], got 0.0", "infer", "--input", photos, "--output", out, "--alpha", "0");
        refused("cannot read model file /no/model.zip", "infer", "--input", photos, "--output", out, "--model", "/no/model.zip");
        Path notAModel = Files.writeString(dir.resolve("model.zip"), "hello");
        refused(notAModel + " is not a mobilenet-spark model file: it is not a zip archive",
                "infer", "--input", photos, "--output", out, "--model", notAModel.toString());
        Path emptyDir = Files.createDirectories(dir.resolve("no-model"));
        refused(emptyDir + " holds no TensorFlow.js manifests (model.json or *weights_manifest.json); name the one to load",
                "infer", "--input", photos, "--output", out, "--model", emptyDir.toString());
        refused("--max-error-fraction must be between 0 and 1, got 1.5",
                "infer", "--input", photos, "--output", out, "--max-error-fraction", "1.5");
        refused("give exactly one of --output DIR and --output-table-prefix DB.NAME", "infer", "--input", photos);
        refused("unknown format 'csv': expected one of parquet, orc, json, delta, iceberg",
                "infer", "--input", photos, "--output", out, "--format", "csv");
        refused("--batch-size must be at least 1, got 0", "infer", "--input", photos, "--output", out, "--batch-size", "0");
        refused("unknown input format 'tiff': expected one of auto, images, parquet, delta, table, manifest, manifest-table",
                "infer", "--input", photos, "--output", out, "--input-format", "tiff");
        refused("input /no/manifest.csv does not exist",
                "infer", "--input", "/no/manifest.csv", "--input-format", "manifest", "--output", out);
        refused("--keep-columns needs a Parquet, table or manifest input: image files have no columns to keep",
                "infer", "--input", photos, "--output", out, "--keep-columns", "truth");
        refused("--keep-columns cannot keep 'label': the output tables have a column of that name",
                "infer", "--input", photos, "--input-format", "manifest", "--output", out, "--keep-columns", "truth,label");
        Path labels = Files.writeString(dir.resolve("labels.txt"), "beach\nmountain\n");
        refused("labels file has 2 names but the model has 1000 classes",
                "infer", "--input", photos, "--output", out, "--labels", labels.toString());
        Path conf = Files.writeString(dir.resolve("job.properties"), "batch-sise=8\n");
        refused("conf file " + conf + " has unknown option 'batch-sise'",
                "infer", "--input", photos, "--output", out, "--conf-file", conf.toString());
        refused("cannot read conf file /no/job.properties: /no/job.properties",
                "infer", "--input", photos, "--output", out, "--conf-file", "/no/job.properties");
        System.setProperty("spark.mobilenet.bogus", "1");
        refused("unknown option in Spark configuration: spark.mobilenet.bogus", "infer", "--input", photos, "--output", out);
    }

    @Test
    void commandLineThenConfFileThenSparkConfThenDefault() throws IOException {
        Path conf = Files.writeString(dir.resolve("job.properties"), "top-k=3\nalpha=0.5\n");
        System.setProperty("spark.mobilenet.top-k", "4");
        System.setProperty("spark.mobilenet.batch-size", "16");

        InferCommand fromFile = parse("infer", "--input", "x", "--output", "y", "--conf-file", conf.toString());
        assertEquals(3, fromFile.topK, "the conf file wins over Spark's configuration");
        assertEquals(16, fromFile.batchSize, "Spark's configuration wins over the default");
        assertEquals(0.5, fromFile.model.alpha);
        assertEquals(224, fromFile.model.resolution, "the default when nobody sets it");

        InferCommand fromCli = parse("infer", "--input", "x", "--output", "y", "--conf-file", conf.toString(), "--top-k", "2");
        assertEquals(2, fromCli.topK, "the command line wins over everything");

        InferCommand fromSpark = parse("infer", "--input", "x", "--output", "y");
        assertEquals(4, fromSpark.topK);
        assertFalse(fromSpark.recursive);
    }

    @Test
    void eachCommandHasItsOwnKeys() {
        System.setProperty("spark.mobilenet.train-head.labels", "db.fashion_labels");
        System.setProperty("spark.mobilenet.train-head.holdout", "0.3");
        System.setProperty("spark.mobilenet.top-k", "4");

        InferCommand infer = parse("infer", "--input", "x", "--output", "y");
        assertEquals(null, infer.labels, "train-head's --labels is not infer's");
        assertEquals(4, infer.topK);
        TrainHeadCommand train = parse("train-head", "--embeddings", "e", "--output", "m.zip");
        assertEquals("db.fashion_labels", train.labels);
        assertEquals(0.3, train.holdout);

        System.setProperty("spark.mobilenet.train-head.top-k", "3");
        refused("unknown option in Spark configuration: spark.mobilenet.train-head.top-k",
                "train-head", "--embeddings", "e", "--labels", "l", "--output", dir.resolve("m.zip").toString());
    }

    @SuppressWarnings("unchecked")
    private static <T> T parse(String... args) {
        CommandLine cli = MobileNetCli.commandLine(args);
        CommandLine.ParseResult result = cli.parseArgs(args);
        return (T) result.subcommand().commandSpec().userObject();
    }
}
