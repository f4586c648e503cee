package dev.mobilenetspark.job;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job on two real executor JVMs ({@code local-cluster}), one of them killed with SIGKILL in
 * the middle of the job: Spark's task retry must finish it, every input id must land exactly once,
 * and each executor JVM must load the model once (the replacement once more).
 */
class ExecutorLossTest {

    private static final int COPIES = 30;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Path input;
    private static long rows;

    @BeforeAll
    static void start() throws Exception {
        // Spark's local-cluster mode outside Spark's own tree: executors then inherit this JVM's classpath.
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", dir.toString());
        spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName("ExecutorLossTest")
                .config("spark.ui.enabled", false)
                .config("spark.executor.memory", "512m")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executorEnv.SPARK_TESTING", "1")
                .config("spark.executor.extraJavaOptions",
                        "-Dorg.bytedeco.javacpp.maxbytes=768m -Dorg.bytedeco.javacpp.maxphysicalbytes=1536m")
                .getOrCreate();
        long deadline = System.currentTimeMillis() + 60_000;
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3) {
            if (System.currentTimeMillis() > deadline) {
                throw new TimeoutException("the two executors did not register; see their stderr under the work dir");
            }
            Thread.sleep(200);
        }
        Dataset<Row> photos = spark.read().parquet(SamplePhotos.DIR.resolveSibling("photos.parquet").toString());
        input = dir.resolve("photos-x" + COPIES);
        spark.range(COPIES).withColumnRenamed("id", "copy").crossJoin(photos)
                .select(concat(col("id").cast("string"), lit("-"), col("copy").cast("string")).as("id"), col("image"))
                .repartition(14).write().parquet(input.toString());
        rows = spark.read().parquet(input.toString()).count();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }

    @Test
    void eachExecutorSizesItsPassesByTheCoreItWasGiven() {
        // local-cluster[2,1,...] starts each executor with --cores 1 and no spark.executor.cores.
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        assertEquals(List.of(1, 1, 1, 1), jsc.parallelize(List.of(1, 2, 3, 4), 4).map(i -> ExecutorModels.executorCores()).collect());
    }

    @Test
    void killingAnExecutorMidJobLosesNoRowAndWritesNoneTwice() {
        AtomicInteger ended = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicBoolean removed = new AtomicBoolean();
        SparkListener killer = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                ended.incrementAndGet();
            }

            @Override
            public void onTaskStart(SparkListenerTaskStart start) {
                if (ended.get() >= 3 && !killed.get()) {
                    executorProcess(start.taskInfo().executorId())
                            .ifPresent(p -> killed.set(p.destroyForcibly()));
                }
            }

            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
                removed.set(true);
            }
        };
        spark.sparkContext().addSparkListener(killer);
        Path out = dir.resolve("out");
        CliRun run;
        try {
            run = CliRun.of("infer", "--input", input.toString(), "--output", out.toString(), "--alpha", "0.25",
                    "--resolution", "128", "--classes", "10", "--batch-size", "8");
        } finally {
            spark.sparkContext().removeSparkListener(killer);
        }
        assertEquals(0, run.exit(), run.err());
        assertTrue(killed.get(), "an executor was killed mid-job");
        assertTrue(removed.get(), "the killed executor was removed");

        Dataset<Row> labels = spark.read().parquet(out.resolve("labels").toString());
        assertEquals(rows, labels.count(), "every input row once");
        assertEquals(rows, labels.select("image_id").distinct().count(), "no row twice");
        assertEquals(0, spark.read().parquet(out.resolve("errors").toString()).count());
        long loads = run.summary().modelLoads();
        assertTrue(loads >= 1 && loads <= 3, "one load per executor JVM, the replacement included: " + loads);
    }

    /**
     * The executor JVM this driver launched for {@code executorId} (local-cluster's workers run in
     * this JVM). Its arguments come from /proc: ProcessHandle cuts long command lines short.
     */
    private static Optional<ProcessHandle> executorProcess(String executorId) {
        String marker = "CoarseGrainedExecutorBackend";
        String id = "\0--executor-id\0" + executorId + "\0";
        return ProcessHandle.current().descendants().filter(p -> {
            try {
                String args = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8);
                return args.contains(marker) && args.contains(id);
            } catch (IOException e) {
                return false;
            }
        }).findFirst();
    }
}
