package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.image.DecodingBenchmark;
import dev.mobilenetspark.model.image.ImageDecoder;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code bench --end-to-end}: the whole job (Parquet in, tables out, this JVM's Spark) over N
 * ImageNet-like JPEGs, the sample photos re-encoded at 500x375 and quality 90, replicated. The
 * input is written first and its preparation is left out of every figure.
 */
public final class EndToEndBenchmark {

    /** An ImageNet validation photo's typical size and quality. */
    public static final int WIDTH = 500;
    public static final int HEIGHT = 375;

    private static final int ROWS_PER_FILE = 1_000;

    private static final StructType INPUT = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("image", DataTypes.BinaryType, false);

    private EndToEndBenchmark() {
    }

    /**
     * The measured run; {@code startupSeconds} is from JVM start to the first batch inferred,
     * preparation left out (-1 if no batch was).
     */
    public record Result(JobSummary summary, double preparationSeconds, double startupSeconds, long peakRssMb) { }

    public static Result run(MobileNetModel model, int images, int batch, int threads, ImageDecoder.Scaling scaling,
                             ModelHandler.Backend backend, Path photos, Path workDir) throws IOException {
        JobSettings settings = JobSettings.of(model, true, 5, batch, threads, JobSettings.DEFAULT_MAX_FILE_BYTES, scaling,
                backend);
        Path input = workDir.resolve("input.parquet");
        try (SparkSessions.Handle spark = SparkSessions.getOrCreate()) {
            long start = System.nanoTime();
            writeInput(spark.session(), DecodingBenchmark.reencode(photos, WIDTH, HEIGHT), images, input);
            flush(input);
            double preparation = (System.nanoTime() - start) / 1e9;
            resetPeakRss();
            // file: URIs: the work directory is this machine's, whatever Hadoop's default file system is.
            InputSpec spec = new InputSpec(input.toUri().toString(), "parquet", "image", "id", "path", List.of(), false, null, 0);
            OutputTarget target = new OutputTarget(workDir.resolve("output").toUri().toString(), null, "parquet", "overwrite", false);
            ChunkedOutput.Run run = InferenceJob.begin(target, settings, spec,
                    spark.session().sparkContext().hadoopConfiguration());
            JobSummary summary = InferenceJob.run(spark.session(), spec, target, settings, model,
                    new InferenceJob.Plan(InferenceJob.DEFAULT_CHUNK_ROWS, new ErrorBudget(1.0, -1), Map.of(), null), run);
            double startup = summary.firstBatchSeconds() < 0 ? -1 : summary.firstBatchSeconds() - preparation;
            return new Result(summary, preparation, startup, peakRssMb());
        }
    }

    /** {@code images} rows cycling through the photos, written as Parquet by the executors. */
    private static void writeInput(SparkSession spark, List<byte[]> jpegs, int images, Path input) {
        Broadcast<List<byte[]>> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(jpegs);
        MapFunction<Long, Row> row = i -> RowFactory.create(String.format(Locale.ROOT, "img-%07d", i),
                shared.value().get((int) (i % shared.value().size())));
        // A file per thousand rows, as tables of images are written. No dictionary encoding, so
        // that each row holds its own bytes as in a table of distinct photos: with it Parquet kept
        // the few photos once per file (10,000 rows in 3.3 MB rather than 456 MB), and reading
        // them cost next to nothing.
        spark.range(0, images, 1, Math.max(1, images / ROWS_PER_FILE)).as(Encoders.LONG()).map(row, Encoders.row(INPUT))
                .write().mode("overwrite").option("parquet.enable.dictionary", "false").parquet(input.toUri().toString());
        shared.destroy();
    }

    /**
     * Writes the input's files through to the disk, as part of the preparation: otherwise the
     * kernel writes them back during the measured run (4.6 GB for 100,000 images), on its cores.
     * They stay in the page cache, so the run reads them from memory.
     */
    private static void flush(Path input) throws IOException {
        try (Stream<Path> files = Files.walk(input)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    channel.force(true);
                }
            }
        }
    }

    /** Starts VmHWM again from the current RSS, so the preparation's peak is not the run's (Linux 4.0+). */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            // Without /proc the peak is not reported at all (peakRssMb gives -1).
        }
    }

    /** The peak resident set of this JVM (VmHWM), in MiB; -1 where /proc is not there. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
