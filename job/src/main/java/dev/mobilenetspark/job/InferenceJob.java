package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;

import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

/**
 * The driver's side of a run: read -> decode -> batch -> infer on executors -> write, one chunk
 * of the input at a time ({@link ChunkPlan}). The model is serialised and broadcast once;
 * executors plan it, the driver never does. Each chunk's results are computed once, kept
 * (memory and disk) while its tables are written, committed ({@link ChunkedOutput}) and then
 * released, so nothing holds more than one chunk. The error budget is checked before each
 * chunk is committed, so a broken input stops the run early and the same command continues it.
 */
public final class InferenceJob {

    /** Rows per chunk unless --chunk-rows says otherwise: a few minutes of a small cluster's work. */
    public static final int DEFAULT_CHUNK_ROWS = 10_000;

    /** Error rows quoted when the error budget is exceeded. */
    private static final int QUOTED_ERRORS = 5;

    /**
     * What Spark redacts in its UI and logs unless spark.redaction.regex says otherwise, with the
     * key names of Azure's and Google's connectors added.
     */
    private static final String DEFAULT_REDACTION = "(?i)secret|password|token|access[.]?key|account[.]?key|private[.]?key"
            + "|credential";

    /** The user and password part of a URI, {@code scheme://user:secret@host/...}. */
    private static final Pattern URI_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

    private InferenceJob() {
    }

    /**
     * How a run is cut and when it gives up.
     *
     * @param chunkRows rows per chunk
     * @param budget    the error budget, checked as chunks commit
     * @param options   the command's options, for the run log
     * @param report    where to write the run's HTML report ({@link RunReport}); null for none
     */
    public record Plan(int chunkRows, ErrorBudget budget, Map<String, String> options, String report) { }

    /**
     * Runs the job and writes its tables; throws {@link ErrorBudgetExceeded}, leaving the
     * committed chunks, when the failures go over the budget.
     *
     * @param decided from {@link #begin} for an output directory: the run this command continues or
     *                starts; null for a catalog, whose tables say that once Spark runs
     */
    public static JobSummary run(SparkSession spark, InputSpec input, OutputTarget target, JobSettings settings,
                                 MobileNetModel net, Plan plan, ChunkedOutput.Run decided) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ShippedModel shipped = ShippedModel.ship(spark, net, settings);
        JobMetrics metrics = shipped.metrics;
        JavaFutureAction<Void> warmUp = null;
        ExecutorService tableWrites = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mobilenet-table-writes");
            t.setDaemon(true);
            return t;
        });

        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        double startup = (System.currentTimeMillis() - jvmStart) / 1000.0;
        long start = System.nanoTime();
        try {
            List<OutputTables.Table> tables = OutputTables.written(settings);
            ChunkedOutput output = target.isCatalog() ? null : ChunkedOutput.open(target, jsc.hadoopConfiguration());
            CatalogRun catalog = target.isCatalog() ? new CatalogRun(spark, target, tables) : null;
            ChunkedOutput.Run run = catalog == null ? decided : catalog.begin(settings.model().id(), redactedInput(input));
            ChunkPlan chunks = ChunkPlan.of(spark, input, plan.chunkRows(), output, run.runId());
            // The executors load the model and build the pass for the first chunk's batches while
            // the driver plans the first chunk's query, instead of in its tasks; a task on an
            // executor still loading waits for it. Sized by the plan: a pass is built per batch
            // size, and one built for 32 images would be built again for a small input's first batch.
            warmUp = shipped.warmUp(jsc, chunks.firstBatch(settings.batchSize(), jsc.defaultParallelism()));
            Map<Integer, ChunkedOutput.ChunkRecord> committed = output != null ? output.committed() : catalog.committed(run.runId());
            Properties log = runLog(spark, input, settings, plan, run, chunks);
            Log runLog = catalog == null ? () -> output.writeRunLog(log) : () -> catalog.writeRunLog(log);
            if (catalog == null) {
                runLog.write();
            }
            Totals before = new Totals();
            Totals now = new Totals();
            List<String> written = new ArrayList<>();
            double writeSeconds = 0;
            long firstChunkRows = 0;
            double firstCommitSeconds = -1;
            int total = chunks.chunks().size();
            RunReport report = plan.report() == null ? null : new RunReport(plan.report());
            for (ChunkPlan.Chunk chunk : chunks.chunks()) {
                int number = run.firstChunk() + chunk.index();
                ChunkedOutput.ChunkRecord done = committed.get(number);
                if (done != null) {
                    if (!done.files().equals(chunk.fingerprint())) {
                        throw new IllegalArgumentException("the input changed since chunk " + number + " of run " + run.runId()
                                + " was committed (files were added, removed or renamed, or --chunk-rows changed), so its"
                                + " chunks no longer line up; use --mode overwrite to start over");
                    }
                    before.add(done);
                    continue;
                }
                Optional<ChunkedOutput.ChunkRecord> meanwhile = output == null ? Optional.empty() : output.record(number);
                if (meanwhile.isPresent()) {
                    // A run of the same command beside this one committed it meanwhile.
                    before.add(meanwhile.get());
                    continue;
                }
                Dataset<Row> rows = chunks.read(spark, chunk);
                long all = -1;
                if (target.skipExisting()) {
                    all = rows.count();
                    rows = OutputTables.withoutDone(spark, rows, settings, target, run.firstChunk());
                }
                Dataset<Row> results = shipped.results(rows).persist(StorageLevel.MEMORY_AND_DISK());
                try {
                    ChunkedOutput.ChunkRecord record = record(results, chunk.fingerprint());
                    if (all >= 0) {
                        // What the anti-join left out, without running it a second time to count it.
                        now.skipped += all - record.read();
                    }
                    long seenRead = before.read + now.read + record.read();
                    long seenFailed = before.failed() + now.failed() + record.failed();
                    boolean last = chunk.index() == total - 1;
                    if (plan.budget().exceeded(seenRead, seenFailed, last)) {
                        ErrorBudgetExceeded e = new ErrorBudgetExceeded(plan.budget(), seenRead, seenFailed, number,
                                before.chunks + now.chunks, output != null, results.where(col("stage").isNotNull())
                                .select("image_id", "stage", "error").limit(QUOTED_ERRORS).collectAsList());
                        log.setProperty("state", "failed");
                        log.setProperty("reason", e.getMessage());
                        if (catalog == null || now.chunks > 0 || run.resumed()) {
                            runLog.write();
                        }
                        throw e;
                    }
                    long writeStart = System.nanoTime();
                    boolean ours = true;
                    if (output == null) {
                        if (now.chunks == 0) {
                            catalog.start(rows(results, tables, settings, run.runId(), number), log, run.resumed());
                        }
                        written = writeCatalog(tableWrites, spark, results, settings, target, run, number, record);
                    } else {
                        ours = writeChunk(tableWrites, spark, output, results, settings, target, run, number, record);
                    }
                    writeSeconds += (System.nanoTime() - writeStart) / 1e9;
                    (ours ? now : before).add(record);
                    double committedAt = (System.nanoTime() - start) / 1e9;
                    if (ours && firstCommitSeconds < 0 && record.read() > 0) {
                        // The first chunk with images pays for the JIT, the model and Spark's first
                        // queries: the summary's warm rate starts after it.
                        firstChunkRows = record.read();
                        firstCommitSeconds = committedAt;
                    }
                    progress(number, before.chunks + now.chunks, total, now, chunks.rows() - before.read, committedAt);
                    if (report != null && ours) {
                        if (report.needsSample()) {
                            report.sample(spark, shipped, rows, results);
                        }
                        report.chunk(number, record.read(), committedAt);
                    }
                } finally {
                    results.unpersist();
                }
            }
            // An image file's id is its path, which one listing holds once: no pass over the output can find two.
            long duplicates = input.format().equals("images") ? 0 : duplicateIds(spark, settings, target, run);
            double runSeconds = (System.nanoTime() - start) / 1e9;
            log.setProperty("state", "complete");
            log.setProperty("read", Long.toString(before.read + now.read));
            log.setProperty("labelled", Long.toString(before.labelled + now.labelled));
            log.setProperty("failed", Long.toString(before.failed() + now.failed()));
            if (catalog == null || now.chunks > 0 || run.resumed()) {
                runLog.write();
            }
            if (output != null) {
                output.delete(ManifestPlan.directory(output.directory(), run.runId()));
                written = OutputTables.written(settings).stream().map(t -> target.location(t)).toList();
            }
            OptionalLong firstBatchAt = metrics.firstBatchMillis();
            double firstBatch = firstBatchAt.isPresent() ? (firstBatchAt.getAsLong() - jvmStart) / 1000.0 : -1;
            JobSummary.StageSeconds stages = new JobSummary.StageSeconds(metrics.readNanos.value() / 1e9,
                    metrics.decodeNanos.value() / 1e9, metrics.inferNanos.value() / 1e9, writeSeconds);
            JobSummary summary = new JobSummary(now.read, now.labelled, now.failedByStage, duplicates,
                    before.read + now.skipped, metrics.modelLoads.value(), startup, firstBatch, runSeconds, stages, written,
                    new JobSummary.Chunks(total, before.chunks, run.runId(), firstChunkRows, firstCommitSeconds));
            if (report != null) {
                report.write(spark, target, settings, summary, run.runId());
            }
            return summary;
        } finally {
            if (warmUp != null) {
                warmUp.cancel(true);
            }
            tableWrites.shutdownNow();
            shipped.close();
        }
    }

    /**
     * What the command does with an output directory, decided before Spark starts: continue its
     * unfinished run or start one ({@link ChunkedOutput#begin}). Null for a catalog, whose
     * tables are read once Spark runs ({@link CatalogRun#begin}).
     */
    public static ChunkedOutput.Run begin(OutputTarget target, JobSettings settings, InputSpec input,
                                          org.apache.hadoop.conf.Configuration conf) throws IOException {
        if (target.isCatalog()) {
            return null;
        }
        return ChunkedOutput.open(target, conf).begin(settings.model().id(), redactedInput(input), OutputTables.written(settings));
    }

    /** The input's identity as the run log keeps it: a URI's user and password left out. */
    static String redactedInput(InputSpec input) {
        return URI_USER_INFO.matcher(input.identity()).replaceAll("*********(redacted)@");
    }

    /** Writes the run log where the run keeps it. */
    @FunctionalInterface
    private interface Log {
        void write() throws IOException;
    }

    /** Rows read, labelled and failed by stage, over committed chunks. */
    private static final class Totals {
        long read;
        long labelled;
        long skipped;
        int chunks;
        final Map<String, Long> failedByStage = new TreeMap<>();

        void add(ChunkedOutput.ChunkRecord r) {
            read += r.read();
            labelled += r.labelled();
            r.failedByStage().forEach((stage, n) -> failedByStage.merge(stage, n, Long::sum));
            chunks++;
        }

        long failed() {
            return failedByStage.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * The chunk's counts, from one pass over its cached results summed on the driver: a groupBy
     * cost a shuffle and, under adaptive execution, two jobs more per chunk.
     */
    private static ChunkedOutput.ChunkRecord record(Dataset<Row> results, String files) {
        StageCounts counts = results.select("stage").javaRDD().aggregate(new StageCounts(), StageCounts::add,
                StageCounts::merge);
        long failures = counts.failed.values().stream().mapToLong(Long::longValue).sum();
        return new ChunkedOutput.ChunkRecord(files, counts.rows, counts.rows - failures, counts.failed);
    }

    /** Result rows, and error rows by stage: a partition's, then the chunk's. */
    private static final class StageCounts implements Serializable {
        private static final long serialVersionUID = 1L;

        long rows;
        final TreeMap<String, Long> failed = new TreeMap<>();

        StageCounts add(Row stage) {
            rows++;
            if (!stage.isNullAt(0)) {
                failed.merge(stage.getString(0), 1L, Long::sum);
            }
            return this;
        }

        StageCounts merge(StageCounts other) {
            rows += other.rows;
            other.failed.forEach((stage, n) -> failed.merge(stage, n, Long::sum));
            return this;
        }
    }

    /** Each table's rows of the chunk, with the chunk's number where the table keeps it as a column. */
    private static Map<OutputTables.Table, Dataset<Row>> rows(Dataset<Row> results, List<OutputTables.Table> tables,
                                                              JobSettings settings, String runId, int chunk) {
        Map<OutputTables.Table, Dataset<Row>> rows = new java.util.EnumMap<>(OutputTables.Table.class);
        for (OutputTables.Table table : tables) {
            rows.put(table, OutputTables.project(results, table, settings, runId).withColumn("chunk", lit(chunk)));
        }
        return rows;
    }

    /**
     * Writes the chunk's tables into the output directory and commits the chunk: Parquet, ORC and
     * JSON staged, then published by renames; Delta as one idempotent commit per table. False if
     * another run of the same command committed it first.
     */
    private static boolean writeChunk(ExecutorService writes, SparkSession spark, ChunkedOutput output,
                                      Dataset<Row> results, JobSettings settings, OutputTarget target,
                                      ChunkedOutput.Run run, int number, ChunkedOutput.ChunkRecord record)
            throws IOException {
        List<OutputTables.Table> tables = OutputTables.written(settings);
        if (target.isLakehouse()) {
            if (output.record(number).isPresent()) {
                return false;
            }
            // A run's first chunk replaces what --mode overwrite starts over from.
            SaveMode mode = number == run.firstChunk() && !run.resumed() && target.mode().equals("overwrite")
                    ? SaveMode.Overwrite : SaveMode.Append;
            Map<OutputTables.Table, Dataset<Row>> rows = rows(results, tables, settings, run.runId(), number);
            Map<String, String> metadata = CatalogRun.metadata(record);
            allAtOnce(writes, tables, table -> TableCommit.write(spark, rows.get(table), target.format(),
                    target.location(table), false, mode, run.runId(), number, metadata));
            return output.commit(number, run.runId(), record);
        }
        Path staging = output.staging();
        try {
            allAtOnce(writes, tables, table -> OutputTables.project(results, table, settings, run.runId()).write()
                    .format(target.format()).mode(SaveMode.ErrorIfExists).save(new Path(staging, table.suffix()).toString()));
            return output.publish(number, staging, tables, run.runId(), record);
        } finally {
            output.delete(staging);
        }
    }

    /**
     * Appends the chunk to the catalog's tables: Delta and Iceberg tables, which the run made
     * ready ({@link CatalogRun#start}), as one idempotent commit each that carries the chunk's
     * record; others with saveAsTable, the run's first chunk with the run's save mode.
     */
    private static List<String> writeCatalog(ExecutorService writes, SparkSession spark, Dataset<Row> results,
                                             JobSettings settings, OutputTarget target, ChunkedOutput.Run run,
                                             int number, ChunkedOutput.ChunkRecord record) throws IOException {
        List<OutputTables.Table> tables = OutputTables.written(settings);
        if (target.isLakehouse()) {
            Map<OutputTables.Table, Dataset<Row>> rows = rows(results, tables, settings, run.runId(), number);
            Map<String, String> metadata = CatalogRun.metadata(record);
            allAtOnce(writes, tables, table -> TableCommit.write(spark, rows.get(table), target.format(),
                    target.location(table), true, SaveMode.Append, run.runId(), number, metadata));
        } else {
            boolean first = number == run.firstChunk();
            allAtOnce(writes, tables, table -> OutputTables.project(results, table, settings, run.runId()).write()
                    .format(target.format()).mode(first ? OutputTables.saveMode(target.mode()) : SaveMode.Append)
                    .saveAsTable(target.location(table)));
        }
        return tables.stream().map(target::location).toList();
    }

    /**
     * Writes every table at once, one job each, and waits for all of them: their tasks share the
     * slots, which one write after another would leave idle while the driver plans and commits
     * each. Throws the first failure, once none is still writing.
     */
    private static void allAtOnce(ExecutorService writes, List<OutputTables.Table> tables,
                                  Consumer<OutputTables.Table> write) throws IOException {
        List<Future<?>> running = tables.stream().<Future<?>>map(t -> writes.submit(() -> write.accept(t))).toList();
        RuntimeException failure = null;
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing the chunk's tables");
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Rows of this run whose image_id another of its rows has too, counted over what was committed. */
    private static long duplicateIds(SparkSession spark, JobSettings settings, OutputTarget target, ChunkedOutput.Run run)
            throws IOException {
        Dataset<Row> ids = null;
        // Every row is in errors, or in labels (with a classifier) or else in embeddings: one of each pair suffices.
        OutputTables.Table successes = settings.model().hasClassifier() ? OutputTables.Table.LABELS : OutputTables.Table.EMBEDDINGS;
        for (OutputTables.Table table : List.of(successes, OutputTables.Table.ERRORS)) {
            if (!OutputTables.written(settings).contains(table) || !OutputTables.exists(spark, target, table)) {
                continue;
            }
            Dataset<Row> t = OutputTables.read(spark, target, table, "image_id STRING, run_id STRING")
                    .where(col("run_id").equalTo(run.runId())).select(col("image_id"));
            ids = ids == null ? t : ids.union(t);
        }
        if (ids == null) {
            return 0;
        }
        Row duplicates = ids.where(col("image_id").isNotNull()).groupBy("image_id").count().where(col("count").gt(1))
                .agg(sum("count")).first();
        return duplicates.isNullAt(0) ? 0 : duplicates.getLong(0);
    }

    /** One line per committed chunk on stderr: where the run is and when it will end. */
    private static void progress(int number, int done, int total, Totals now, long rowsLeft, double seconds) {
        double rate = seconds > 0 ? now.read / seconds : 0;
        long remaining = rowsLeft - now.read;
        String eta = rowsLeft < 0 || rate <= 0 ? "unknown" : formatDuration(remaining / rate);
        System.err.printf(Locale.ROOT, "mobilenet-spark: chunk %d/%d committed (chunk=%d): %d rows this run, %d failed,"
                + " %.1f images/s, ETA %s%n", done, total, number, now.read, now.failed(), rate, eta);
        System.err.flush();
    }

    private static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
    }

    /** The run log: the run, its model, input, options and Spark's settings, secrets redacted. */
    private static Properties runLog(SparkSession spark, InputSpec input, JobSettings settings, Plan plan,
                                     ChunkedOutput.Run run, ChunkPlan chunks) {
        Properties log = new Properties();
        log.setProperty("run-id", run.runId());
        log.setProperty("model-id", settings.model().id());
        log.setProperty("arch", settings.model().architecture().id());
        log.setProperty("alpha", Double.toString(settings.model().alpha()));
        log.setProperty("resolution", Integer.toString(settings.model().resolution()));
        log.setProperty("input", redactedInput(input));
        log.setProperty("first-chunk", Integer.toString(run.firstChunk()));
        log.setProperty("chunks", Integer.toString(chunks.chunks().size()));
        log.setProperty("state", "running");
        Pattern secret = Pattern.compile(spark.conf().get("spark.redaction.regex", DEFAULT_REDACTION));
        plan.options().forEach((k, v) -> log.setProperty("option." + k, redact(secret, k, v)));
        scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll())
                .forEach((k, v) -> log.setProperty("setting." + k, redact(secret, k, v)));
        return log;
    }

    private static String redact(Pattern secret, String key, String value) {
        return secret.matcher(key).find() || secret.matcher(value).find() ? "*********(redacted)"
                : URI_USER_INFO.matcher(value).replaceAll("*********(redacted)@");
    }

}
