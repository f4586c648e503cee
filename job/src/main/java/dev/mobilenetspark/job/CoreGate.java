package dev.mobilenetspark.job;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps decoding and inference of one executor JVM off each other's cores. A forward pass uses
 * every core the executor has (its OpenMP threads wait for each other at every layer), so an
 * image decoded on another task slot at the same time stalls all of them: measured here, the
 * passes ran at half their speed beside decoding. Decoding therefore shares the cores among
 * task slots, and a forward pass takes them all, waiting for decodes in progress to finish
 * (one image each, a few milliseconds) and holding new ones back until it is done.
 */
final class CoreGate {

    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();

    private CoreGate() {
    }

    /** Held while one image is decoded or a batch assembled; any number of task slots at once. */
    static Lock shared() {
        return LOCK.readLock();
    }

    /** Held for a forward pass, alone. */
    static Lock exclusive() {
        return LOCK.writeLock();
    }
}
