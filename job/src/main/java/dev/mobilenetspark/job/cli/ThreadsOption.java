package dev.mobilenetspark.job.cli;

import picocli.CommandLine.Option;

/** {@code --threads}, shared by the commands that run a model. */
final class ThreadsOption {

    @Option(names = "--threads", defaultValue = "0",
            description = "Native threads of the JVM running the model; 0 = its cores (default).")
    int threads;

    /** The option, checked: 0 or more. */
    int value() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be 0 (the cores) or more, got " + threads);
        }
        return threads;
    }
}
