package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFile;
import dev.mobilenetspark.model.NativeThreads;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model per executor JVM, shared by all its tasks: the first task to need a model
 * materialises it from the broadcast bytes, the others wait for it and reuse it. Keyed by the
 * model's content hash; a new model replaces the old one, so a long-lived JVM holds one.
 *
 * <p>The model serialises forward passes (see {@link MobileNetModel}), so a JVM runs one pass
 * at a time with {@code settings.threads()} ND4J threads while other task slots decode images.
 */
final class ExecutorModels {

    private static final AtomicInteger LOADS = new AtomicInteger();
    private static String loadedId;
    private static MobileNetModel loaded;

    private ExecutorModels() {
    }

    static synchronized MobileNetModel get(JobSettings settings, Broadcast<byte[]> modelBytes, LongAccumulator loads) {
        if (!settings.modelId().equals(loadedId)) {
            loaded = null;
            NativeThreads.limit(settings.threads() > 0 ? settings.threads() : executorCores());
            try {
                loaded = ModelFile.read(new ByteArrayInputStream(modelBytes.value()), "model " + settings.modelId());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the broadcast model " + settings.modelId(), e);
            }
            loadedId = settings.modelId();
            LOADS.incrementAndGet();
            loads.add(1);
        }
        return loaded;
    }

    /** The cores Spark gave this executor; in local mode, the machine's. */
    private static int executorCores() {
        int machine = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        return env == null ? machine : env.conf().getInt("spark.executor.cores", machine);
    }

    /** Models materialised in this JVM so far. */
    static int loadsInThisJvm() {
        return LOADS.get();
    }
}
