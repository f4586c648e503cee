package dev.mobilenetspark.model.runtime;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Caps the threads ND4J's native code uses in this JVM (OpenMP and BLAS). An executor must not
 * run more compute threads than it has cores: a prototype fell from 270 to 40 images/s when
 * another process took one of two cores.
 */
public final class NativeThreads {

    /** 0 until {@link #limit} is called: OpenMP's default, one thread per core. */
    private static volatile int limit;

    private NativeThreads() {
    }

    public static void limit(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        limit = threads;
    }

    /**
     * Applies the limit to the calling thread. oneDNN's primitives take their thread count from
     * OpenMP, whose setting is per calling thread (Spark runs tasks on pooled threads), so a
     * forward pass calls this first.
     */
    public static void applyToCurrentThread() {
        int threads = limit;
        if (threads > 0) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        }
    }
}
