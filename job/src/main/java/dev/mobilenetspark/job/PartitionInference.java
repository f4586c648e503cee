package dev.mobilenetspark.job;

import dev.mobilenetspark.model.ModelHandler;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Runs inside {@code mapPartitions}: a plain batching iterator over rows. It reads each input
 * row's bytes ({@link ImageBytes}), has the JVM's {@link ModelHandler} prepare them, gathers fixed-size batches of
 * prepared images, has the handler run each batch, and emits one {@link ResultRow} per input
 * row. A row that fails to read, decode, preprocess or infer becomes a result with that stage
 * and the message; it never fails the task.
 *
 * <p>Input rows have {@link ImageSource#COLUMNS} (and {@code kept}, passed through): an image's
 * bytes come from the {@code image} column, or for image files and manifests from {@code path}, read here through Hadoop's file system API so
 * that a vanished or unreadable file is one error row rather than a failed task.
 */
final class PartitionInference implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final JobSettings settings;
    private final Broadcast<byte[]> modelBytes;
    private final ImageBytes images;
    private final JobMetrics metrics;
    private final StructType resultSchema;

    /** @param resultSchema the rows emitted: {@link ResultRow#schema} of the input's */
    PartitionInference(JobSettings settings, Broadcast<byte[]> modelBytes,
                       Broadcast<SerializableConfiguration> hadoopConf, JobMetrics metrics, StructType resultSchema) {
        this.settings = settings;
        this.modelBytes = modelBytes;
        this.images = new ImageBytes(settings.maxFileBytes(), hadoopConf);
        this.metrics = metrics;
        this.resultSchema = resultSchema;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Results(input, ExecutorModels.get(settings, modelBytes, metrics.modelLoads));
    }

    /** An image prepared for the next batch, with the row it came from. */
    private record Pending(String id, String source, Row kept, float[] input) { }

    /** Pulls one batch at a time from the input, so a partition is never held whole. */
    private final class Results implements Iterator<Row> {
        private final Iterator<Row> input;
        private final ModelHandler handler;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private final boolean keeps = List.of(resultSchema.fieldNames()).contains(ImageSource.KEPT);
        private boolean inferredOne;

        Results(Iterator<Row> input, ModelHandler handler) {
            this.input = input;
            this.handler = handler;
        }

        @Override
        public boolean hasNext() {
            while (ready.isEmpty() && input.hasNext()) {
                nextBatch();
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void nextBatch() {
            List<Pending> batch = new ArrayList<>(settings.batchSize());
            long start = System.nanoTime();
            long preparing = 0;
            while (batch.size() < settings.batchSize() && input.hasNext()) {
                Row row = input.next();
                metrics.rows.add(1);
                String id = row.getAs("image_id");
                String source = row.getAs("source");
                Row kept = keeps ? row.getAs(ImageSource.KEPT) : null;
                byte[] bytes;
                try {
                    bytes = bytesOf(row, id);
                } catch (Exception e) {
                    ready.add(failure(id, source, kept, ModelHandler.Failure.of(ModelHandler.Stage.READ, e)));
                    continue;
                }
                long prepareStart = System.nanoTime();
                ModelHandler.Prepared prepared = handler.prepare(bytes);
                preparing += System.nanoTime() - prepareStart;
                metrics.decodeNanos.add(prepared.nanos());
                if (prepared.ok()) {
                    batch.add(new Pending(id, source, kept, prepared.input()));
                } else {
                    ready.add(failure(id, source, kept, prepared.failure()));
                }
            }
            metrics.readNanos.add(System.nanoTime() - start - preparing);
            if (!batch.isEmpty()) {
                infer(batch);
            }
        }

        private void infer(List<Pending> batch) {
            ModelHandler.BatchResult result = handler.run(batch.stream().map(Pending::input).toList(), settings.topK());
            metrics.inferNanos.add(result.nanos());
            Timestamp now = new Timestamp(System.currentTimeMillis());
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                ModelHandler.Outcome outcome = result.outcomes().get(i);
                ready.add(outcome.failure() != null ? failure(p.id(), p.source(), p.kept(), outcome.failure())
                        : ResultRow.success(p.id(), p.source(), outcome.prediction(), settings.embeddings(), now, p.kept())
                                .toRow(resultSchema));
                if (!inferredOne && outcome.failure() == null) {
                    inferredOne = true;
                    metrics.firstBatchAt.add(System.currentTimeMillis());
                }
            }
        }
    }

    /** The error row of a failed image, counted by its stage. */
    private Row failure(String id, String source, Row kept, ModelHandler.Failure failure) {
        metrics.failed.get(failure.stage()).add(1);
        return ResultRow.failure(id, source, failure, kept).toRow(resultSchema);
    }

    private byte[] bytesOf(Row row, String id) throws IOException {
        if (id == null) {
            throw new IOException("the image id is null");
        }
        return images.of(row);
    }
}
