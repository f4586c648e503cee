package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.Prediction;
import dev.mobilenetspark.model.image.RgbImage;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * Runs inside {@code mapPartitions}: reads and decodes each input row, gathers fixed-size batches
 * of decoded images, runs one forward pass per batch, and emits one result row per input row
 * (schema {@link OutputTables#RESULT}). A row that fails to read, decode, preprocess or infer
 * becomes a result with that stage and the message; it never fails the task.
 *
 * <p>Input rows have {@link ImageSource#COLUMNS}: an image's bytes come from the {@code image}
 * column, or for image files from {@code path}, read here through Hadoop's file system API so
 * that a vanished or unreadable file is one error row rather than a failed task.
 */
final class PartitionInference implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    enum Stage { READ, DECODE, PREPROCESS, INFER }

    private final JobSettings settings;
    private final Broadcast<byte[]> modelBytes;
    private final Broadcast<SerializableConfiguration> hadoopConf;
    private final JobMetrics metrics;

    PartitionInference(JobSettings settings, Broadcast<byte[]> modelBytes,
                       Broadcast<SerializableConfiguration> hadoopConf, JobMetrics metrics) {
        this.settings = settings;
        this.modelBytes = modelBytes;
        this.hadoopConf = hadoopConf;
        this.metrics = metrics;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        MobileNetModel model = ExecutorModels.get(settings, modelBytes, metrics.modelLoads);
        return new Results(input, model);
    }

    /** Pulls one batch at a time from the input, so a partition is never held whole. */
    private final class Results implements Iterator<Row> {
        private final Iterator<Row> input;
        private final MobileNetModel model;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private boolean inferredOne;

        Results(Iterator<Row> input, MobileNetModel model) {
            this.input = input;
            this.model = model;
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
            List<Decoded> batch = new ArrayList<>(settings.batchSize());
            long start = System.nanoTime();
            long decoding = 0;
            while (batch.size() < settings.batchSize() && input.hasNext()) {
                Row row = input.next();
                String id = row.getString(0);
                String source = row.getString(1);
                byte[] bytes;
                try {
                    if (id == null) {
                        throw new IOException("the image id is null");
                    }
                    bytes = bytesOf(row);
                } catch (Exception e) {
                    ready.add(failure(id, source, Stage.READ, e));
                    continue;
                }
                long decodeStart = System.nanoTime();
                try {
                    batch.add(new Decoded(id, source, decode(bytes)));
                } catch (Exception e) {
                    ready.add(failure(id, source, Stage.DECODE, e));
                } finally {
                    decoding += System.nanoTime() - decodeStart;
                }
            }
            metrics.readNanos.add(System.nanoTime() - start - decoding);
            if (!batch.isEmpty()) {
                infer(batch);
            }
        }

        /** One forward pass for the batch; if anything fails, each image alone, to find which. */
        private void infer(List<Decoded> batch) {
            INDArray input;
            List<Prediction> predictions;
            try {
                input = toBatch(batch.stream().map(Decoded::image).toList());
            } catch (Exception e) {
                batch.forEach(this::inferAlone);
                return;
            }
            try {
                predictions = predict(input);
            } catch (Exception e) {
                batch.forEach(this::inferAlone);
                return;
            } finally {
                // Free the batch's native memory now: off-heap buffers left to the GC pile up
                // while the heap is quiet, and the executor's RSS grows with the input.
                input.close();
            }
            Timestamp now = new Timestamp(System.currentTimeMillis());
            for (int i = 0; i < batch.size(); i++) {
                ready.add(success(batch.get(i), predictions.get(i), now));
            }
        }

        private void inferAlone(Decoded d) {
            INDArray input;
            try {
                input = toBatch(List.of(d.image()));
            } catch (Exception e) {
                ready.add(failure(d.id(), d.source(), Stage.PREPROCESS, e));
                return;
            }
            try {
                Prediction p = predict(input).get(0);
                ready.add(success(d, p, new Timestamp(System.currentTimeMillis())));
            } catch (Exception e) {
                ready.add(failure(d.id(), d.source(), Stage.INFER, e));
            } finally {
                input.close();
            }
        }

        // The three steps that compute, each behind the executor's CoreGate; the metrics count
        // their work, not their wait at the gate.

        private RgbImage decode(byte[] bytes) {
            return gated(CoreGate.shared(), metrics.decodeNanos, () -> model.decode(bytes));
        }

        private INDArray toBatch(List<RgbImage> images) {
            return gated(CoreGate.shared(), metrics.decodeNanos, () -> model.toBatch(images));
        }

        private List<Prediction> predict(INDArray input) {
            List<Prediction> predictions = gated(CoreGate.exclusive(), metrics.inferNanos,
                    () -> model.predict(input, settings.topK()));
            if (!inferredOne) {
                inferredOne = true;
                metrics.firstBatchAt.add(System.currentTimeMillis());
            }
            return predictions;
        }

        private <T> T gated(Lock gate, LongAccumulator nanos, Supplier<T> work) {
            gate.lock();
            long start = System.nanoTime();
            try {
                return work.get();
            } finally {
                nanos.add(System.nanoTime() - start);
                gate.unlock();
            }
        }
    }

    private record Decoded(String id, String source, RgbImage image) { }

    private byte[] bytesOf(Row row) throws IOException {
        if (!row.isNullAt(3)) {
            return readFile(row.getString(3));
        }
        byte[] bytes = row.isNullAt(2) ? null : (byte[]) row.get(2);
        if (bytes == null || bytes.length == 0) {
            throw new IOException(bytes == null ? "the image cell is null" : "the image cell is empty");
        }
        return bytes;
    }

    private byte[] readFile(String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(hadoopConf.value().value());
        long length = fs.getFileStatus(p).getLen();
        if (length > settings.maxFileBytes()) {
            throw new IOException("the file has " + length + " bytes, over the limit of " + settings.maxFileBytes());
        }
        byte[] bytes = new byte[(int) length];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(0, bytes);
        }
        return bytes;
    }

    private Row success(Decoded d, Prediction p, Timestamp at) {
        int k = p.top().size();
        int[] index = new int[k];
        String[] label = new String[k];
        float[] score = new float[k];
        for (int i = 0; i < k; i++) {
            index[i] = p.top().get(i).index();
            label[i] = p.top().get(i).name();
            score[i] = p.top().get(i).probability();
        }
        return RowFactory.create(d.id(), d.source(), index, label, score,
                settings.embeddings() ? p.embedding() : null, null, null, at);
    }

    private static Row failure(String id, String source, Stage stage, Exception e) {
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return RowFactory.create(id, source, null, null, null, null,
                stage.name().toLowerCase(Locale.ROOT), message, new Timestamp(System.currentTimeMillis()));
    }
}
