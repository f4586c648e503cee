package dev.mobilenetspark.job;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.Benchmark;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.NativeThreads;
import dev.mobilenetspark.model.image.Preprocessing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Images per second of the inference facade for each shape and batch size, as a table and one
 * {@code BENCH ...} line per row. Not a test: run it on an idle machine, beside the ONNX
 * Runtime peer, and compare ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure model-only throughput (images/s) of the inference facade.")
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Option(names = "--shapes", split = ",", paramLabel = "[ARCH:]ALPHA@RES",
            description = "Shapes to measure, overriding --arch, --alpha and --resolution "
                    + "(e.g. 1.0@224,0.5@160,v2:1.0@224,v3-small:1.0@224).")
    List<String> shapes;

    @Option(names = "--batch", split = ",", defaultValue = "1,32", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--threads", defaultValue = "2", description = "ND4J threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--min-seconds", defaultValue = "2.0", description = "Minimum length of a timed run (default: ${DEFAULT-VALUE}).")
    double minSeconds;

    @Option(names = "--profile", description = "Also print milliseconds per layer of one forward pass.")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        List<MobileNetConfig> configs = shapes == null ? List.of(options.config()) : shapes.stream().map(this::shape).toList();
        for (int b : batches) {
            if (b < 1) {
                throw new IllegalArgumentException("batch sizes must be at least 1, got " + b);
            }
        }
        NativeThreads.limit(threads);
        System.out.printf(Locale.ROOT, "%-9s %6s %5s %6s %8s %12s %10s %10s%n",
                "arch", "alpha", "res", "batch", "threads", "images/s", "min", "max");
        StringBuilder lines = new StringBuilder();
        for (MobileNetConfig config : configs) {
            MobileNetModel model = options.model != null ? options.load()
                    : MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), options.seed);
            MobileNetConfig c = model.config();
            for (int batch : batches) {
                Benchmark.Result r = Benchmark.run(model, batch, 3, runs, minSeconds);
                System.out.printf(Locale.ROOT, "%-9s %6s %5d %6d %8d %12.1f %10.1f %10.1f%n", c.architecture().id(),
                        c.alpha(), c.resolution(), batch, threads, r.median(), r.min(), r.max());
                System.out.flush();
                if (profile) {
                    printProfile(Benchmark.profile(model, batch, runs));
                }
                lines.append(String.format(Locale.ROOT,
                        "BENCH arch=%s alpha=%s resolution=%d batch=%d threads=%d images_per_s=%.1f%n",
                        c.architecture().id(), c.alpha(), c.resolution(), batch, threads, r.median()));
            }
        }
        System.out.print(lines);
        return 0;
    }

    /** Each layer's milliseconds and share of the pass, then the share by layer kind. */
    private static void printProfile(Map<String, Double> ms) {
        double total = ms.values().stream().mapToDouble(Double::doubleValue).sum();
        ms.forEach((layer, t) -> System.out.printf(Locale.ROOT, "  %-44s %9.2f ms %5.1f%%%n", layer, t, 100 * t / total));
        System.out.printf(Locale.ROOT, "  %-44s %9.2f ms%n", "total", total);
    }

    private MobileNetConfig shape(String text) {
        int colon = text.indexOf(':');
        MobileNetConfig config = colon < 0 ? options.config()
                : options.config().withArchitecture(Architecture.parse(text.substring(0, colon)));
        String[] parts = text.substring(colon + 1).split("@");
        if (parts.length != 2) {
            throw badShape(text);
        }
        try {
            return config.withAlpha(Double.parseDouble(parts[0])).withResolution(Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw badShape(text);
        }
    }

    private static IllegalArgumentException badShape(String text) {
        return new IllegalArgumentException("a shape is [ARCH:]ALPHA@RESOLUTION, e.g. 0.5@160 or v2:1.0@224; got '" + text + "'");
    }
}
