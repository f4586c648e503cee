package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.ChunkedOutput;
import dev.mobilenetspark.job.ErrorBudget;
import dev.mobilenetspark.job.InferenceJob;
import dev.mobilenetspark.job.InputSpec;
import dev.mobilenetspark.job.JobSettings;
import dev.mobilenetspark.job.JobSummary;
import dev.mobilenetspark.job.OutputTarget;
import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.image.ImageDecoder;

import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code infer}: reads images, runs the model on every executor, writes labels, embeddings and
 * errors. Every argument is checked before Spark starts.
 */
@Command(name = "infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Label and embed images with a MobileNet on Spark; write labels, embeddings and errors tables.")
public final class InferCommand extends ConfiguredCommand {

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "A path or glob of image files or Parquet files, or a Delta table's path; a table name with"
                    + " --input-format table or manifest-table; Parquet or CSV files of image paths with --input-format manifest.")
    String input;

    @Option(names = "--input-format", defaultValue = "auto",
            description = "auto, images, parquet, delta, table, manifest or manifest-table (default: ${DEFAULT-VALUE}:"
                    + " Delta when the path is a Delta table, Parquet when it holds Parquet files, else images). A manifest's"
                    + " rows name image files (--path-column) that the executors read; nothing is listed on the driver.")
    String inputFormat;

    @Option(names = "--path-column", defaultValue = "path",
            description = "Column of a manifest holding each image's path or URI, any Hadoop file system (default: ${DEFAULT-VALUE}).")
    String pathColumn;

    @Option(names = "--keep-columns", split = ",", paramLabel = "COL",
            description = "Input columns copied into the labels and errors tables (your keys, ground truth, source URLs).")
    List<String> keepColumns;

    @Option(names = "--image-column", defaultValue = "image", description = "Binary image column of Parquet or table input (default: ${DEFAULT-VALUE}).")
    String imageColumn;

    @Option(names = "--id-column", defaultValue = "id", description = "Id column of Parquet or table input, cast to string (default: ${DEFAULT-VALUE}).")
    String idColumn;

    @Option(names = "--recursive", defaultValue = "false", fallbackValue = "true", arity = "0..1",
            description = "Read image files in subdirectories too.")
    boolean recursive;

    @Option(names = "--path-glob-filter", paramLabel = "GLOB", description = "Only image files whose name matches, e.g. *.jpg.")
    String pathGlobFilter;

    @Mixin
    ModelOptions model;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, UTF-8, line N names class N.")
    java.nio.file.Path labels;

    @Option(names = "--top-k", defaultValue = "5", description = "Classes kept per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--embeddings", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write the embeddings table (default: ${DEFAULT-VALUE}).")
    boolean embeddings;

    @Option(names = "--output", paramLabel = "DIR", description = "Write DIR/labels, DIR/embeddings and DIR/errors.")
    String output;

    @Option(names = "--output-table-prefix", paramLabel = "DB.NAME", description = "Write the tables NAME_labels, ... with saveAsTable.")
    String outputTablePrefix;

    @Option(names = "--format", defaultValue = "parquet",
            description = "parquet, orc, json, delta (a directory or a catalog) or iceberg (a catalog) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--mode", defaultValue = "errorifexists",
            description = "errorifexists, overwrite or append (default: ${DEFAULT-VALUE}: never replace data).")
    String mode;

    @Option(names = "--skip-existing", defaultValue = "false", fallbackValue = "true", arity = "0..1",
            description = "With --mode append: skip input rows whose image_id the output already has for this model.")
    boolean skipExisting;

    @Option(names = "--partitions", defaultValue = "0", description = "Read each chunk in this many tasks (image files are listed so; other inputs are shuffled"
            + " into them, a manifest's paths only); 0: up to 1,000 images a task, at least one per core (default).")
    int partitions;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--max-file-bytes", defaultValue = "" + JobSettings.DEFAULT_MAX_FILE_BYTES, description = "Larger image files become read errors (default: ${DEFAULT-VALUE}).")
    long maxFileBytes;

    @Mixin
    DecodeScalingOption decodeScaling;

    @Mixin
    PrecisionOption precision;

    @Option(names = "--max-error-fraction", defaultValue = "1.0", paramLabel = "F",
            description = "Stop the run, before committing the chunk that goes over, when more than this fraction of the rows"
                    + " seen failed (judged from " + ErrorBudget.MIN_ROWS + " rows on; default: ${DEFAULT-VALUE}: never).")
    double maxErrorFraction;

    @Option(names = "--max-errors", defaultValue = "-1", paramLabel = "N",
            description = "Stop the run, likewise, when more than N rows failed (default: no cap).")
    long maxErrors;

    @Option(names = "--chunk-rows", defaultValue = "" + InferenceJob.DEFAULT_CHUNK_ROWS, paramLabel = "N",
            description = "Rows per chunk: each chunk is committed on its own, and a rerun of the same command continues"
                    + " at the first one not committed (default: ${DEFAULT-VALUE}).")
    int chunkRows;

    @Option(names = "--report", paramLabel = "DIR",
            description = "Also write DIR/index.html: a sample of images with their labels, the top-1 scores, errors by"
                    + " stage, throughput per chunk and the summary; one self-contained page.")
    String report;

    @Option(names = "--conf-file", paramLabel = "FILE", description = "Options as a properties file (key = long option name).")
    java.nio.file.Path confFile;

    /** What the run did, once it has run. */
    JobSummary summary;

    @Override
    int run() throws IOException {
        OutputTarget target = new OutputTarget(output, outputTablePrefix, format, mode, skipExisting);
        positive("--top-k", topK);
        positive("--batch-size", batchSize);
        positive("--max-file-bytes", maxFileBytes);
        positive("--chunk-rows", chunkRows);
        ErrorBudget budget = new ErrorBudget(maxErrorFraction, maxErrors);
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be 0 or more");
        }
        int nativeThreads = threads.value();
        ImageDecoder.Scaling scaling = decodeScaling.value();
        ModelHandler.Backend backend = precision.backend();
        Configuration hadoop = SparkSessions.hadoopConfiguration();
        String resolvedFormat = InputSpec.resolveFormat(input, inputFormat, hadoop);
        InputSpec inputSpec = new InputSpec(input, resolvedFormat, imageColumn, idColumn, pathColumn,
                keepColumns == null ? List.of() : keepColumns, recursive, pathGlobFilter, partitions);
        MobileNetModel net = loadModel();
        JobSettings settings = JobSettings.of(net, embeddings, topK, batchSize, nativeThreads, maxFileBytes, scaling,
                backend);
        if (settings.places() != null) {
            for (String column : inputSpec.keepColumns()) {
                if (List.of("cell", "lat", "lng").contains(column)) {
                    throw new IllegalArgumentException("--keep-columns cannot keep '" + column + "': a places model's"
                            + " labels table has a column of that name (rename it in the input)");
                }
            }
        }
        ChunkedOutput.Run run = InferenceJob.begin(target, settings, inputSpec, hadoop);

        try (SparkSessions.Handle spark = SparkSessions.getOrCreate(target.format())) {
            summary = InferenceJob.run(spark.session(), inputSpec, target, settings, net,
                    new InferenceJob.Plan(chunkRows, budget, options(), report), run);
            System.out.print(summary.format());
            System.out.flush();
            return 0;
        }
    }

    /** The options as given or defaulted, by long name: what the run log records. */
    private Map<String, String> options() {
        Map<String, String> options = new TreeMap<>();
        for (CommandLine.Model.OptionSpec option : spec.options()) {
            Object value = option.getValue();
            if (value != null && !option.usageHelp() && !option.versionHelp()) {
                options.put(option.longestName().replaceFirst("^--", ""), String.valueOf(value));
            }
        }
        return options;
    }

    private MobileNetModel loadModel() throws IOException {
        MobileNetModel net = model.load();
        if (labels != null) {
            Labels names;
            try {
                names = Labels.read(labels);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read labels file " + labels + ": " + e.getMessage());
            }
            net = net.withLabels(names);
        }
        return net;
    }

    private static void positive(String option, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + value);
        }
    }
}
