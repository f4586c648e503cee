package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;

import java.io.Serializable;

/**
 * The one small immutable value executors get with each task: resolved once on the driver.
 *
 * @param modelId      the model's content hash: the executor-side cache key and the tables' model_id
 * @param threads      ND4J threads per executor JVM (one forward pass runs at a time per JVM)
 * @param maxFileBytes image files larger than this are refused at the read stage
 */
record JobSettings(String modelId, String arch, double alpha, int resolution, boolean hasClassifier,
                   boolean embeddings, int topK, int batchSize, int threads, long maxFileBytes)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The default of --max-file-bytes: 128 MiB. */
    static final long DEFAULT_MAX_FILE_BYTES = 128L << 20;

    /** The settings for running {@code model}, which gives the model's fields. */
    static JobSettings of(MobileNetModel model, boolean embeddings, int topK, int batchSize, int threads, long maxFileBytes) {
        return new JobSettings(model.contentHash(), model.config().architecture().id(), model.config().alpha(),
                model.config().resolution(), model.config().hasClassifier(), embeddings, topK, batchSize, threads,
                maxFileBytes);
    }
}
