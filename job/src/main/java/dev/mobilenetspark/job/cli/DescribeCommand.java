package dev.mobilenetspark.job;

import dev.mobilenetspark.model.CostReport;
import dev.mobilenetspark.model.MobileNetBuilder;
import dev.mobilenetspark.model.MobileNetConfig;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
        CostReport report;
        if (options.model != null) {
            report = options.load().cost();
        } else {
            MobileNetConfig config = options.config();
            int r = config.resolution();
            report = CostReport.of(new ComputationGraph(MobileNetBuilder.configuration(config)),
                    InputType.convolutional(r, r, 3, CNN2DFormat.NHWC));
        }
        System.out.print(report.format());
        System.out.flush();
        return 0;
    }
}
