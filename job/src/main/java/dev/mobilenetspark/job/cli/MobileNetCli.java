package dev.mobilenetspark.job;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The command-line entry point ({@code bin/mobilenet-spark SUBCOMMAND}). Results go to stdout,
 * logs to stderr. Exit codes: 0 success, 1 failure while running, 2 a bad argument, reported
 * in one line before any work starts.
 */
@Command(name = "mobilenet-spark", mixinStandardHelpOptions = true,
        description = "Batch image inference with a Deeplearning4j MobileNet.",
        subcommands = {InferCommand.class, DescribeCommand.class, BenchCommand.class})
public final class MobileNetCli implements Runnable {

    static final int BAD_ARGUMENT = 2;
    /** More rows failed than --max-error-fraction allows; nothing was written. */
    static final int TOO_MANY_ERRORS = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cli;
        try {
            cli = commandLine(args);
        } catch (IllegalArgumentException e) {
            System.err.println("mobilenet-spark: " + e.getMessage());
            return BAD_ARGUMENT;
        }
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof IllegalArgumentException) {
                err.println("mobilenet-spark: " + e.getMessage());
                return BAD_ARGUMENT;
            }
            if (e instanceof ErrorBudgetExceeded) {
                err.println("mobilenet-spark: " + e.getMessage());
                return TOO_MANY_ERRORS;
            }
            err.println("mobilenet-spark: " + e);
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("mobilenet-spark: " + e.getMessage());
            return BAD_ARGUMENT;
        });
        return cli.execute(args);
    }

    /**
     * The command tree for {@code args}, with {@code infer}'s defaults drawn from the conf file
     * the arguments name and from Spark's configuration.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new MobileNetCli());
        OptionDefaults defaults = OptionDefaults.forArguments(args);
        CommandLine infer = cli.getSubcommands().get("infer");
        infer.setDefaultValueProvider(defaults);
        ((InferCommand) infer.getCommand()).defaults = defaults;
        return cli;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: infer, describe or bench");
    }
}
