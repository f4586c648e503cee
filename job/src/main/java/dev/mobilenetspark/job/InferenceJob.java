package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.file.ModelFile;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

/**
 * The driver's side of a run: read -> decode -> batch -> infer on executors -> write.
 * The model is serialised and broadcast once; executors plan it, the driver never does. The
 * per-image results are computed once, kept (memory and disk) while the tables are projected
 * from them and written, then released.
 */
public final class InferenceJob {

    private InferenceJob() {
    }

    /** Error rows quoted when the error budget is exceeded. */
    private static final int QUOTED_ERRORS = 5;

    /**
     * Runs the job and writes its tables; throws {@link ErrorBudgetExceeded}, having written
     * nothing, when more than {@code maxErrorFraction} of the rows failed.
     */
    public static JobSummary run(SparkSession spark, InputSpec input, OutputTarget target, JobSettings settings,
                                 MobileNetModel net, double maxErrorFraction) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ByteArrayOutputStream modelFile = new ByteArrayOutputStream();
        ModelFile.write(net, modelFile);
        Broadcast<byte[]> model = jsc.broadcast(modelFile.toByteArray());
        Broadcast<SerializableConfiguration> hadoopConf =
                jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
        JobMetrics metrics = JobMetrics.register(jsc.sc());

        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        double startup = (System.currentTimeMillis() - jvmStart) / 1000.0;
        long start = System.nanoTime();
        Dataset<Row> rows = ImageSource.read(spark, input);
        // The rows left after --skip-existing are counted by the stage counts below; only the
        // input total needs a pass of its own (a cheap one: no image is decoded).
        long total = target.skipExisting() ? rows.count() : -1;
        if (target.skipExisting()) {
            rows = OutputTables.withoutDone(spark, rows, settings, target);
        }
        Dataset<Row> results = rows
                .mapPartitions(new PartitionInference(settings, model, hadoopConf, metrics), Encoders.row(ResultRow.SCHEMA))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long read = 0;
            Map<String, Long> failed = new TreeMap<>();
            for (Row r : results.groupBy("stage").count().collectAsList()) {
                read += r.getLong(1);
                if (!r.isNullAt(0)) {
                    failed.put(r.getString(0), r.getLong(1));
                }
            }
            long failures = failed.values().stream().mapToLong(Long::longValue).sum();
            if (read > 0 && (double) failures / read > maxErrorFraction) {
                throw new ErrorBudgetExceeded(failures, read, maxErrorFraction, results.where(col("stage").isNotNull())
                        .select("image_id", "stage", "error").limit(QUOTED_ERRORS).collectAsList());
            }
            Row duplicates = results.where(col("image_id").isNotNull()).groupBy("image_id").count()
                    .where(col("count").gt(1)).agg(sum("count")).first();
            long duplicateIds = duplicates.isNullAt(0) ? 0 : duplicates.getLong(0);
            long writeStart = System.nanoTime();
            List<String> written = OutputTables.writeAll(results, settings, target);
            long end = System.nanoTime();
            long skipped = total < 0 ? 0 : total - read;
            OptionalLong firstBatchAt = metrics.firstBatchMillis();
            double firstBatch = firstBatchAt.isPresent() ? (firstBatchAt.getAsLong() - jvmStart) / 1000.0 : -1;
            JobSummary.StageSeconds stages = new JobSummary.StageSeconds(metrics.readNanos.value() / 1e9, metrics.decodeNanos.value() / 1e9,
                    metrics.inferNanos.value() / 1e9, (end - writeStart) / 1e9);
            return new JobSummary(read, read - failures, failed, duplicateIds, skipped, metrics.modelLoads.value(), startup,
                    firstBatch, (end - start) / 1e9, stages, written);
        } finally {
            results.unpersist();
            model.destroy();
            hadoopConf.destroy();
        }
    }
}
