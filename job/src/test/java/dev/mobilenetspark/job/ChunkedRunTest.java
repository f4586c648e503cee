package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs committed chunk by chunk: a budget that stops a run, a driver killed with SIGKILL, a
 * second run beside the first; each time the same command finishes the run with every input
 * row once.
 */
class ChunkedRunTest extends SparkTestBase {

    private static Path photos(String name, int count) throws IOException {
        return SamplePhotos.copies(dir.resolve(name), count);
    }

    private static List<String> args(Path input, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("infer", "--input", input.toString(), "--output", output.toString(),
                "--recursive"));
        args.addAll(SMALL_MODEL);
        args.addAll(List.of(more));
        return args;
    }

    private static List<String> committed(Path output) throws IOException {
        Path chunks = output.resolve(ChunkedOutput.CHUNKS);
        if (!Files.isDirectory(chunks)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(chunks)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).sorted().toList();
        }
    }

    /** Every input row once, over labels and errors. */
    private static void assertEveryRowOnce(Path output, int rows) {
        List<Row> ids = table(output, "labels").select("image_id").union(table(output, "errors").select("image_id"))
                .collectAsList();
        assertEquals(rows, ids.size(), "rows written");
        assertEquals(rows, ids.stream().map(r -> r.getString(0)).distinct().count(), "no row twice");
    }

    @Test
    void aBudgetExceededInTheSecondChunkStopsThereAndTheFixedInputContinues() throws IOException {
        Path input = photos("budget", 12);
        // Chunks take the files in path order: even/img-000 to 006, even/img-008 to odd/img-003, the rest.
        Path broken = input.resolve("even/img-008.jpg");
        Path second = input.resolve("even/img-010.png");
        Files.writeString(broken, "not an image", StandardCharsets.UTF_8);
        Files.writeString(second, "not an image either", StandardCharsets.UTF_8);
        Path out = dir.resolve("out-budget");
        List<String> command = args(input, out, "--chunk-rows", "4", "--max-errors", "1");

        CliRun stopped = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.TOO_MANY_ERRORS, stopped.exit(), stopped.err());
        assertTrue(stopped.err().contains("2 of 8 rows failed (25.0%), over --max-errors 1; chunk 1 was not committed and the 1"
                + " committed before it stay"), stopped.err());
        assertEquals(List.of("0"), committed(out));
        assertEquals(4, table(out, "labels").count());
        assertTrue(Files.readString(out.resolve(ChunkedOutput.RUN_LOG)).contains("state=failed"));
        List<String> otherModel = new ArrayList<>(command);
        otherModel.addAll(List.of("--seed", "99"));
        CliRun refused = CliRun.of(otherModel.toArray(String[]::new));
        assertEquals(MobileNetCli.BAD_ARGUMENT, refused.exit());
        assertTrue(refused.err().contains("holds an unfinished run of model"), refused.err());
        Path added = input.resolve("even/img-000a.jpg");
        Files.copy(SamplePhotos.list().get(0), added);
        CliRun moved = CliRun.of(command.toArray(String[]::new));
        assertEquals(MobileNetCli.BAD_ARGUMENT, moved.exit());
        assertTrue(moved.err().contains("the input changed since chunk 0"), moved.err());
        Files.delete(added);

        Files.copy(SamplePhotos.list().get(0), broken, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(SamplePhotos.list().get(1), second, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CliRun run = CliRun.of(command.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("mobilenet-spark: chunk 2/3 committed (chunk=1): 4 rows this run, 0 failed,"), run.err());
        assertTrue(run.err().contains("mobilenet-spark: chunk 3/3 committed (chunk=2): 8 rows this run, 0 failed,"), run.err());
        JobSummary finished = run.summary();
        assertEquals(4, finished.skipped(), "the committed chunk is not done again");
        assertCounts(8, 8, 0, finished);
        assertEquals(3, finished.chunks().total());
        assertEquals(1, finished.chunks().committedBefore());
        // This attempt's first chunk is the run's second: the warm rate is over its third alone.
        assertEquals(4, finished.chunks().firstChunkRows());
        double first = finished.chunks().firstCommitSeconds();
        assertTrue(first > 0 && first < finished.runSeconds(), first + " s of " + finished.runSeconds());
        assertEquals(4, finished.warmImages());
        assertTrue(finished.warmImagesPerSecond() > 0);
        assertEquals(List.of("0", "1", "2"), committed(out));
        assertEveryRowOnce(out, 12);
        assertEquals(1, table(out, "labels").select("run_id").distinct().count(), "one run, continued");
    }

    @Test
    void aDriverKilledMidRunIsFinishedByTheSameCommand() throws Exception {
        Path input = photos("killed", 48);
        Path out = dir.resolve("out-killed");
        List<String> command = args(input, out, "--chunk-rows", "4");
        Process driver = child(command, dir.resolve("killed-driver.log"));
        try {
            awaitCommitted(out, 3, driver);
            assertTrue(driver.isAlive(), "the driver was still running when it was killed: "
                    + Files.readString(dir.resolve("killed-driver.log")));
        } finally {
            driver.destroyForcibly().waitFor();
        }
        int before = committed(out).size();
        assertTrue(before >= 3 && before < 12, before + " of 12 chunks committed when the driver died");

        JobSummary finished = infer(command.toArray(String[]::new));
        assertEquals(before * 4, finished.skipped());
        assertEquals(48 - before * 4, finished.read(), "only the chunks not committed are inferred again");
        assertEquals(before, finished.chunks().committedBefore());
        assertEquals(12, committed(out).size());
        assertEveryRowOnce(out, 48);
    }

    @Test
    void twoRunsOfOneCommandOnOneOutputBothFinishWithEveryRowOnce() throws Exception {
        Path input = photos("twice", 32);
        Path out = dir.resolve("out-twice");
        List<String> command = args(input, out, "--chunk-rows", "4");
        Process first = child(command, dir.resolve("first-run.log"));
        try {
            awaitCommitted(out, 1, first);
            JobSummary second = infer(command.toArray(String[]::new));
            assertTrue(second.chunks().committedBefore() >= 1, "the second run started after the first committed a chunk");
            assertTrue(first.waitFor(3, TimeUnit.MINUTES), "the first run finishes too");
            assertEquals(0, first.exitValue(), Files.readString(dir.resolve("first-run.log")));
        } finally {
            first.destroyForcibly().waitFor();
        }
        assertEquals(8, committed(out).size());
        assertEveryRowOnce(out, 32);
    }

    /** Waits, three minutes at most, until {@code chunks} chunks are committed or {@code run} has ended. */
    private static void awaitCommitted(Path output, int chunks, Process run) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (committed(output).size() < chunks && run.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** The command line in a JVM of its own, as a user runs it: this JVM's classpath and options. */
    private static Process child(List<String> command, Path log) throws IOException {
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        java.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        java.addAll(List.of("-cp", System.getProperty("java.class.path"), MobileNetCli.class.getName()));
        java.addAll(command);
        return new ProcessBuilder(java).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void theRunLogNamesTheRunAndItsSettingsWithoutTheirSecrets() throws IOException {
        Path input = photos("log", 3);
        Path out = dir.resolve("out-log");
        spark.conf().set("spark.hadoop.fs.s3a.secret.key", "do-not-print-me");
        try {
            JobSummary summary = infer(args(input, out, "--format", "json").toArray(String[]::new));
            String log = Files.readString(out.resolve(ChunkedOutput.RUN_LOG));
            assertFalse(log.contains("do-not-print-me"), log);
            assertTrue(log.contains("setting.spark.hadoop.fs.s3a.secret.key=*********(redacted)"), log);
            assertTrue(log.contains("run-id=" + summary.chunks().runId()), log);
            assertTrue(log.contains("option.chunk-rows=10000"), log);
            assertTrue(log.contains("read=3") && log.contains("state=complete"), log);
        } finally {
            spark.conf().unset("spark.hadoop.fs.s3a.secret.key");
        }
    }
}
