package dev.mobilenetspark.job;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One Spark session for a test class, as Apache Iceberg's Spark tests share theirs:
 * {@code local[2]}, UI off, its warehouse in the class's temporary directory, stopped after the
 * class. Each test starts with no model in the executor's cache, so the loads a run reports are
 * exactly its own.
 */
public abstract class SparkTestBase {

    protected static SparkSession spark;

    /** A small V1 with seeded weights, 0.25@64 with 10 classes: for tests of the job, not of the model. */
    protected static final List<String> SMALL_MODEL = List.of("--alpha", "0.25", "--resolution", "64", "--classes", "10",
            "--batch-size", "4");

    @TempDir
    protected static Path dir;

    /**
     * Settings a test class adds to its session, {@code key=value} each; {@code ${dir}} stands
     * for the class's temporary directory.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    protected @interface SessionSettings {
        String[] value();
    }

    @BeforeAll
    static void startSpark(TestInfo test) {
        SparkSession.Builder builder = SparkSession.builder().master("local[2]").appName("mobilenet-spark tests")
                .config("spark.ui.enabled", false)
                .config("spark.sql.shuffle.partitions", 4)
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString());
        SessionSettings settings = test.getTestClass().orElseThrow().getAnnotation(SessionSettings.class);
        for (String setting : settings == null ? new String[0] : settings.value()) {
            int eq = setting.indexOf('=');
            builder = builder.config(setting.substring(0, eq), setting.substring(eq + 1).replace("${dir}", dir.toString()));
        }
        spark = builder.getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
        spark = null;
    }

    @BeforeEach
    void noModelLoadedYet() {
        ExecutorModels.reset();
    }

    /** Runs {@code infer} with {@code args}, which must succeed; returns what it did. */
    protected static JobSummary infer(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exit(), run.err());
        return run.summary();
    }

    /** {@code infer} with {@code options}, then {@code more}: a class's common options and a test's own. */
    protected static JobSummary infer(List<String> options, String... more) {
        List<String> args = new ArrayList<>(List.of("infer"));
        args.addAll(options);
        args.addAll(List.of(more));
        return infer(args.toArray(String[]::new));
    }

    /** {@code infer}'s command line with the small model, then {@code more}. */
    protected static String[] smallInfer(String... more) {
        List<String> args = new ArrayList<>(List.of("infer"));
        args.addAll(SMALL_MODEL);
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The Parquet table {@code name} under {@code output}. */
    protected static Dataset<Row> table(Path output, String name) {
        return spark.read().parquet(output.resolve(name).toString());
    }

    /** read, labelled and failed, as a run's summary counts them. */
    protected static void assertCounts(long read, long labelled, long failed, JobSummary summary) {
        assertEquals(List.of(read, labelled, failed), List.of(summary.read(), summary.labelled(), summary.failed()),
                "read, labelled, failed");
    }
}
