package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.EndToEndBenchmark;
import dev.mobilenetspark.job.JobSummary;
import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.benchmark.Benchmark;
import dev.mobilenetspark.model.image.DecodingBenchmark;
import dev.mobilenetspark.model.image.ImageDecoder;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Images per second of the model handler for each shape and batch size, as a table and one
 * {@code BENCH ...} line per row. Not a test: run it on an idle machine, beside the ONNX
 * Runtime peer, and compare ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure model-only throughput (images/s) of the model handler.")
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Option(names = "--shapes", split = ",", paramLabel = "[ARCH:]ALPHA@RES",
            description = "Shapes to measure, overriding --arch, --alpha and --resolution "
                    + "(e.g. 1.0@224,0.5@160,v2:1.0@224,v3-small:1.0@224).")
    List<String> shapes;

    @Option(names = "--batch", split = ",", description = "Batch sizes (default: 1,32; 32 with --end-to-end, which takes one).")
    List<Integer> batches;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--min-seconds", defaultValue = "2.0", description = "Minimum length of a timed run (default: ${DEFAULT-VALUE}).")
    double minSeconds;

    @Option(names = "--profile", description = "Also print milliseconds per layer of one forward pass.")
    boolean profile;

    @Option(names = "--end-to-end", description = "Run the whole job (Parquet in, tables out, embedded Spark) instead of the model alone.")
    boolean endToEnd;

    @Mixin
    DecodeScalingOption decodeScaling;

    @Mixin
    PrecisionOption precision;

    @Option(names = "--decoding", description = "Time the JPEG decoders instead (ms per image, one thread) on the photos"
            + " re-encoded at each of --sizes, for the shape's input resolution.")
    boolean decoding;

    @Option(names = "--sizes", split = ",", defaultValue = "500x375,1024x768,4000x3000", paramLabel = "WxH",
            description = "With --decoding: the JPEG sizes (default: ${DEFAULT-VALUE}).")
    List<String> sizes;

    @Option(names = "--images", defaultValue = "2000", description = "With --end-to-end: input rows (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--photos", defaultValue = "data-samples/photos", paramLabel = "DIR",
            description = "With --end-to-end or --decoding: the photos re-encoded into the input (default: ${DEFAULT-VALUE}).")
    Path photos;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "With --end-to-end: where the input and output tables go (default: a new temporary directory).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        List<MobileNetConfig> configs = shapes == null ? List.of(options.config()) : shapes.stream().map(this::shape).toList();
        if (batches == null) {
            batches = endToEnd ? List.of(32) : List.of(1, 32);
        }
        for (int b : batches) {
            if (b < 1) {
                throw new IllegalArgumentException("batch sizes must be at least 1, got " + b);
            }
        }
        int threads = threadsOption.value();
        ImageDecoder.Scaling scaling = decodeScaling.value();
        ModelHandler.Backend backend = precision.backend();
        if (decoding) {
            return decoding(configs);
        }
        if (endToEnd) {
            return endToEnd(configs, threads, scaling, backend);
        }
        // The figure is printed, so the limit is always explicit: the cores unless told otherwise.
        threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "%-9s %6s %5s %6s %8s %12s %10s %10s%n",
                "arch", "alpha", "res", "batch", "threads", "images/s", "min", "max");
        StringBuilder lines = new StringBuilder();
        for (MobileNetConfig config : configs) {
            ModelHandler handler = ModelHandler.of(options.load(config), backend, threads);
            MobileNetConfig c = handler.model().config();
            for (int batch : batches) {
                Benchmark.Result r = Benchmark.run(handler, batch, runs, minSeconds);
                System.out.printf(Locale.ROOT, "%-9s %6s %5d %6d %8d %12.1f %10.1f %10.1f%n", c.architecture().id(),
                        c.alpha(), c.resolution(), batch, threads, r.median(), r.min(), r.max());
                System.out.flush();
                if (profile) {
                    printProfile(Benchmark.profile(handler, batch, runs));
                }
                lines.append(String.format(Locale.ROOT,
                        "BENCH arch=%s alpha=%s resolution=%d batch=%d threads=%d images_per_s=%.1f precision=%s%n",
                        c.architecture().id(), c.alpha(), c.resolution(), batch, threads, r.median(), precision.precision));
            }
        }
        System.out.print(lines);
        return 0;
    }

    private int decoding(List<MobileNetConfig> configs) throws IOException {
        if (configs.size() != 1) {
            throw new IllegalArgumentException("--decoding takes one shape: its resolution is the decoders' target");
        }
        checkPhotos();
        List<int[]> parsed = sizes.stream().map(BenchCommand::size).toList();
        int target = configs.get(0).resolution();
        System.out.printf(Locale.ROOT, "%-10s %-20s %10s %12s%n", "size", "decoder", "ms/image", "decoded");
        StringBuilder lines = new StringBuilder();
        for (int[] wh : parsed) {
            List<byte[]> jpegs = DecodingBenchmark.reencode(photos, wh[0], wh[1]);
            for (DecodingBenchmark.Row r : DecodingBenchmark.run(jpegs, wh[0], wh[1], target, runs, minSeconds)) {
                System.out.printf(Locale.ROOT, "%-10s %-20s %10.2f %12s%n", r.size(), r.decoder(), r.msPerImage(),
                        r.decodedWidth() + "x" + r.decodedHeight());
                System.out.flush();
                lines.append(String.format(Locale.ROOT, "BENCH-DECODE size=%s decoder=%s target=%d ms_per_image=%.2f%n",
                        r.size(), r.decoder().replace(' ', '-'), target, r.msPerImage()));
            }
        }
        System.out.print(lines);
        return 0;
    }

    private static int[] size(String text) {
        String[] wh = text.split("x");
        if (wh.length == 2 && wh[0].matches("[1-9]\\d{0,4}") && wh[1].matches("[1-9]\\d{0,4}")) {
            return new int[] {Integer.parseInt(wh[0]), Integer.parseInt(wh[1])};
        }
        throw new IllegalArgumentException("a size is WIDTHxHEIGHT, each 1 to 99999, e.g. 500x375; got '" + text + "'");
    }

    private void checkPhotos() {
        if (!Files.isDirectory(photos)) {
            throw new IllegalArgumentException("--photos " + photos + " is not a directory (run from the project's root,"
                    + " or give the directory of data-samples/photos)");
        }
    }

    private int endToEnd(List<MobileNetConfig> configs, int threads, ImageDecoder.Scaling scaling,
                         ModelHandler.Backend backend) throws Exception {
        if (configs.size() != 1 || batches.size() != 1 || images < 1) {
            throw new IllegalArgumentException("--end-to-end takes one shape, one --batch and --images of at least 1");
        }
        checkPhotos();
        MobileNetModel model = options.load(configs.get(0));
        Path dir = workDir != null ? workDir : Files.createTempDirectory("mobilenet-bench-e2e");
        EndToEndBenchmark.Result r = EndToEndBenchmark.run(model, images, batches.get(0), threads, scaling, backend, photos,
                dir);
        JobSummary s = r.summary();
        MobileNetConfig c = model.config();
        System.out.printf(Locale.ROOT, "%-26s %s%n", "input", images + " JPEGs of " + EndToEndBenchmark.WIDTH + "x"
                + EndToEndBenchmark.HEIGHT + " in Parquet, under " + dir);
        System.out.printf(Locale.ROOT, "%-26s %.1f s (not counted)%n", "input preparation", r.preparationSeconds());
        System.out.printf(Locale.ROOT, "%-26s %.1f s%n", "launch to first batch", r.startupSeconds());
        System.out.printf(Locale.ROOT, "%-26s %.1f s%n", "first read to last write", s.runSeconds());
        if (s.warmImagesPerSecond() >= 0) {
            System.out.printf(Locale.ROOT, "%-26s %.1f images/s (%d images)%n", "after the first chunk",
                    s.warmImagesPerSecond(), s.warmImages());
        }
        System.out.printf(Locale.ROOT, "%-26s %s%n", "by stage", s.stages().format());
        System.out.printf(Locale.ROOT, "%-26s %d labelled, %d failed%n", "rows", s.labelled(), s.failed());
        System.out.printf(Locale.ROOT, "%-26s %d MiB%n", "peak RSS", r.peakRssMb());
        System.out.printf(Locale.ROOT, "BENCH-E2E arch=%s alpha=%s resolution=%d batch=%d images=%d startup_s=%.1f"
                        + " images_per_s=%.1f warm_images_per_s=%.1f peak_rss_mb=%d precision=%s decode_scaling=%s%n",
                c.architecture().id(), c.alpha(), c.resolution(), batches.get(0), images, r.startupSeconds(),
                s.imagesPerSecond(), s.warmImagesPerSecond(), r.peakRssMb(),
                precision.precision, decodeScaling.scaling);
        return s.failed() == 0 ? 0 : 1;
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
                : options.config().with(c -> c.architecture(Architecture.parse(text.substring(0, colon))));
        String[] parts = text.substring(colon + 1).split("@");
        if (parts.length != 2) {
            throw badShape(text);
        }
        try {
            return config.with(c -> c.alpha(Double.parseDouble(parts[0])).resolution(Integer.parseInt(parts[1])));
        } catch (NumberFormatException e) {
            throw badShape(text);
        }
    }

    private static IllegalArgumentException badShape(String text) {
        return new IllegalArgumentException("a shape is [ARCH:]ALPHA@RESOLUTION, e.g. 0.5@160 or v2:1.0@224; got '" + text + "'");
    }
}
