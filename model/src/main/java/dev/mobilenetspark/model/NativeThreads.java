package dev.mobilenetspark.model;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Caps the threads ND4J's native code uses in this JVM (OpenMP and BLAS). An executor must not
 * run more compute threads than it has cores: a prototype fell from 270 to 40 images/s when
 * another process took one of two cores.
 */
public final class NativeThreads {

    private NativeThreads() {
    }

    public static void limit(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
