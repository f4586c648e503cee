package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of the command line: its exit code, what it printed, and for an
 * {@code infer} that ran, its summary as a value.
 */
public record CliRun(int exit, String out, String err, JobSummary summary) {

    public static CliRun of(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            MobileNetCli.Outcome outcome = MobileNetCli.run(args);
            return new CliRun(outcome.exitCode(), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8),
                    outcome.summary());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    public String lastLine() {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }
}
