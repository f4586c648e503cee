package dev.mobilenetspark.job;

import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

import dev.mobilenetspark.model.ModelHandler;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What executors report to the driver during a run, as Spark accumulators (visible in the
 * Spark UI under these names): models materialised, task time by stage, and when each
 * partition's first batch was inferred. Task times are summed over task slots and count
 * retried tasks again.
 */
final class JobMetrics implements Serializable {

    private static final long serialVersionUID = 1L;

    final LongAccumulator modelLoads;
    final LongAccumulator readNanos;
    final LongAccumulator decodeNanos;
    final LongAccumulator inferNanos;
    /** Epoch milliseconds at which a partition's first batch was inferred, one per partition. */
    final CollectionAccumulator<Long> firstBatchAt;
    /** Rows taken from the input, and those that failed, by stage: what the Spark UI shows a run's progress by. */
    final LongAccumulator rows;
    final Map<ModelHandler.Stage, LongAccumulator> failed = new EnumMap<>(ModelHandler.Stage.class);

    private JobMetrics(SparkContext sc) {
        modelLoads = sc.longAccumulator("mobilenet model loads");
        readNanos = sc.longAccumulator("mobilenet read ns");
        decodeNanos = sc.longAccumulator("mobilenet decode+preprocess ns");
        inferNanos = sc.longAccumulator("mobilenet inference ns");
        firstBatchAt = sc.collectionAccumulator("mobilenet first batch at");
        rows = sc.longAccumulator("mobilenet rows");
        for (ModelHandler.Stage stage : ModelHandler.Stage.values()) {
            failed.put(stage, sc.longAccumulator("mobilenet failed at " + stage.id()));
        }
    }

    static JobMetrics register(SparkContext sc) {
        return new JobMetrics(sc);
    }

    /** When the run's first batch was inferred, in epoch milliseconds; empty if none was. */
    OptionalLong firstBatchMillis() {
        return firstBatchAt.value().stream().mapToLong(Long::longValue).min();
    }
}
