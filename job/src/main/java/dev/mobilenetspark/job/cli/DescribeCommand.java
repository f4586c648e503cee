package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.cost.CostReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.util.concurrent.Callable;

/** Prints the per-layer cost table; its last line is {@code TOTAL params=... weights=... mult_adds=...}. */
@Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Print each layer's output shape, parameters and mult-adds, then the totals.")
final class DescribeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Override
    public Integer call() throws IOException {
        CostReport report = options.model != null ? options.load().cost() : CostReport.of(options.config());
        System.out.print(report.format());
        System.out.flush();
        return 0;
    }
}
