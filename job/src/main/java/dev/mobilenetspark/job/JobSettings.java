package dev.mobilenetspark.job;

import dev.mobilenetspark.job.geo.Places;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.image.ImageDecoder;

import java.io.Serializable;

/**
 * The one small immutable value executors get with each task: resolved once on the driver.
 *
 * @param model        the model's identity: the executor-side cache key and the tables' lineage
 * @param threads      native threads per executor JVM (one forward pass runs at a time per JVM);
 *                     0 for the executor's cores
 * @param maxFileBytes image files larger than this are refused at the read stage
 * @param decodeScaling how far large JPEGs are shrunk while they are decoded
 * @param backend      how the executors compute forward passes (float32 or bfloat16)
 * @param places       a places model's cells, whose centres the labels table reports; null for
 *                     any other model
 */
public record JobSettings(MobileNetModel.Identity model, boolean embeddings, int topK, int batchSize, int threads,
                          long maxFileBytes, ImageDecoder.Scaling decodeScaling, ModelHandler.Backend backend, Places places)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The default of --max-file-bytes: 128 MiB. */
    public static final long DEFAULT_MAX_FILE_BYTES = 128L << 20;

    /** The settings for running {@code model}. */
    public static JobSettings of(MobileNetModel model, boolean embeddings, int topK, int batchSize, int threads,
                                 long maxFileBytes, ImageDecoder.Scaling decodeScaling, ModelHandler.Backend backend) {
        return new JobSettings(model.identity(), embeddings, topK, batchSize, threads, maxFileBytes, decodeScaling, backend,
                Places.of(model.labels()).orElse(null));
    }
}
