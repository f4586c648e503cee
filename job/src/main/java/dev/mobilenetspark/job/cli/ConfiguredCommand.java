package dev.mobilenetspark.job.cli;

import picocli.CommandLine;

import java.util.concurrent.Callable;

/**
 * A command whose options may also come from Spark's configuration ({@link OptionDefaults}): a
 * key naming none of its options fails the command before it does anything.
 */
abstract class ConfiguredCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Set by the entry point: the defaults provider whose keys are checked against the options. */
    OptionDefaults defaults;

    @Override
    public final Integer call() throws Exception {
        if (defaults != null) {
            defaults.checkKeys(spec);
        }
        return run();
    }

    /** The command itself, once its configuration keys were checked; returns the exit code. */
    abstract int run() throws Exception;
}
