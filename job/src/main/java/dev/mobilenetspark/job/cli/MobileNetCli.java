package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.ErrorBudgetExceeded;
import dev.mobilenetspark.job.JobSummary;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.util.Set;
import java.util.TreeSet;

/**
 * The command-line entry point ({@code bin/mobilenet-spark SUBCOMMAND}). Results go to stdout,
 * logs to stderr. Exit codes: 0 success, 1 failure while running, 2 a bad argument, reported
 * in one line before any work starts.
 */
@Command(name = "mobilenet-spark", mixinStandardHelpOptions = true,
        description = "Batch image inference with a Deeplearning4j MobileNet.",
        subcommands = {InferCommand.class, DescribeCommand.class, BenchCommand.class, TrainHeadCommand.class,
                GeoCellsCommand.class, GeoEvalCommand.class, SimilarCommand.class})
public final class MobileNetCli implements Runnable {

    public static final int BAD_ARGUMENT = 2;
    /** More rows failed than --max-error-fraction allows; nothing was written. */
    public static final int TOO_MANY_ERRORS = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** How a command line ended: its exit code, and for {@code infer} that ran, what the run did. */
    public record Outcome(int exitCode, JobSummary summary) { }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int execute(String... args) {
        return run(args).exitCode();
    }

    /** Runs the command line; the summary is null unless an {@code infer} run finished. */
    public static Outcome run(String... args) {
        CommandLine cli;
        try {
            cli = commandLine(args);
        } catch (IllegalArgumentException e) {
            System.err.println("mobilenet-spark: " + e.getMessage());
            return new Outcome(BAD_ARGUMENT, null);
        }
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof IllegalArgumentException) {
                err.println("mobilenet-spark: " + e.getMessage());
                return BAD_ARGUMENT;
            }
            if (e instanceof AccessDeniedException denied) {
                err.println("mobilenet-spark: " + denied(denied));
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
        int exit = cli.execute(args);
        return new Outcome(exit, ((InferCommand) cli.getSubcommands().get("infer").getCommand()).summary);
    }

    /**
     * The command tree for {@code args}, with each command's defaults drawn from Spark's
     * configuration, and {@code infer}'s also from the conf file the arguments name.
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new MobileNetCli());
        OptionDefaults defaults = OptionDefaults.forArguments(args);
        Set<String> configured = new TreeSet<>();
        cli.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommand() instanceof ConfiguredCommand) {
                configured.add(name);
            }
        });
        for (String name : configured) {
            CommandLine sub = cli.getSubcommands().get(name);
            Set<String> others = new TreeSet<>(configured);
            others.remove(name);
            OptionDefaults own = defaults.forCommand(name, others);
            sub.setDefaultValueProvider(own);
            ((ConfiguredCommand) sub.getCommand()).defaults = own;
        }
        return cli;
    }

    /** What to check when a file system refused the credentials or permissions it was given. */
    static String denied(AccessDeniedException e) {
        String file = e.getFile() == null ? "the input or output" : e.getFile();
        URI uri = URI.create(file.replace(" ", "%20"));
        String check = "s3a".equals(uri.getScheme())
                ? "the credentials (spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key, or per bucket"
                        + " spark.hadoop.fs.s3a.bucket." + uri.getHost() + ".*)"
                : "the credentials and permissions of its file system";
        String reason = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
        return "access to " + file + " was denied; check " + check + ": " + reason;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: " + String.join(", ", spec.subcommands().keySet()));
    }
}
