package dev.mobilenetspark.job;

import dev.mobilenetspark.model.ModelHandler;

import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.OptionalInt;

/**
 * One model handler per executor JVM, shared by all its tasks: the first task to need one makes
 * it from the broadcast model file, the others wait for it and reuse it. Keyed by the model's
 * content hash; a new model replaces the old one, so a long-lived JVM holds one.
 *
 * <p>The handler runs one forward pass at a time with {@code settings.threads()} native threads
 * (the executor's cores by default) while other task slots prepare images.
 */
final class ExecutorModels {

    /** A handler and the key of the model, decoding and backend it was made for. */
    private record Loaded(String key, ModelHandler handler) { }

    /** Set only once a load has succeeded, so a failed one leaves no key without its handler. */
    private static Loaded loaded;

    private ExecutorModels() {
    }

    static synchronized ModelHandler get(JobSettings settings, Broadcast<byte[]> modelBytes, LongAccumulator loads) {
        String key = settings.model().id() + " " + settings.decodeScaling() + " " + settings.backend();
        if (loaded == null || !loaded.key().equals(key)) {
            // The old model is let go before the new one loads: an executor holds one.
            loaded = null;
            int threads = settings.threads() > 0 ? settings.threads() : executorCores();
            try {
                loaded = new Loaded(key, ModelHandler.load(modelBytes.value(), "model " + settings.model().id(),
                        settings.backend(), threads, settings.decodeScaling()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the broadcast model " + settings.model().id(), e);
            }
            loads.add(1);
        }
        return loaded.handler();
    }

    /**
     * Loads the model, then runs one batch of {@code batch} blank images, so that the first
     * chunk's tasks find the native pass built for their batches and its memory allocated.
     */
    static void warmUp(JobSettings settings, Broadcast<byte[]> modelBytes, LongAccumulator loads, int batch) {
        ModelHandler handler = get(settings, modelBytes, loads);
        int side = handler.model().config().resolution();
        handler.run(Collections.nCopies(batch, new float[side * side * 3]), 1);
    }

    /**
     * Forgets the handler, so the next task loads its model again: for a JVM that runs several
     * jobs and must count each job's loads (tests), or must free a model it will not use again.
     */
    static synchronized void reset() {
        loaded = null;
    }

    /**
     * The cores Spark gave this executor: {@code spark.executor.cores} where it is set; else the
     * {@code --cores} its launcher passed, as a standalone worker does while leaving the setting
     * unset (sized by the machine's 2 cores instead, two 1-core executors' passes took 6.6 times
     * as long as with the setting given); in local mode, the machine's.
     */
    static int executorCores() {
        int machine = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        // Spark names the driver's own executor "driver": local mode, where the JVM is the machine's.
        if (env == null || env.executorId().equals("driver")) {
            return machine;
        }
        if (env.conf().contains("spark.executor.cores")) {
            return env.conf().getInt("spark.executor.cores", machine);
        }
        return coresArgument(System.getProperty("sun.java.command", "")).orElse(machine);
    }

    /** The value of {@code --cores} in an executor backend's command line, if it has one. */
    static OptionalInt coresArgument(String command) {
        String[] words = command.trim().split("\\s+");
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals("--cores")) {
                try {
                    int cores = Integer.parseInt(words[i + 1]);
                    return cores > 0 ? OptionalInt.of(cores) : OptionalInt.empty();
                } catch (NumberFormatException notANumber) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}
