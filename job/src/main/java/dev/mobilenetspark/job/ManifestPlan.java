package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * The chunks of a manifest, planned once per run and kept in the output. A manifest's rows are
 * paths, not images, so the first attempt of a run reads it once on the executors, numbers its
 * rows ({@code zipWithIndex}: in file and row order, whatever the cluster) and writes them,
 * partitioned by chunk, under {@code _plan-<run id>/rows/chunk=<n>}. A resumed run reads that
 * plan, not the manifest, so its chunks are the ones the first attempt committed; a manifest
 * whose files changed since is refused. The driver lists the manifest's files only, never the
 * images; the plan is deleted when the run completes.
 */
final class ManifestPlan {

    private static final String INFO = "_plan";

    private ManifestPlan() {
    }

    /** The manifest's files as the driver sees them: whether they are CSV, and what identifies them. */
    record Files(boolean csv, String fingerprint) {

        /**
         * Lists the files of a manifest path or glob (directories one level deep, or all levels
         * with {@code --recursive}), skipping what Spark's readers skip ({@code _*}, {@code .*}).
         */
        static Files of(InputSpec spec, Configuration conf) {
            try {
                Path input = new Path(spec.input());
                FileSystem fs = input.getFileSystem(conf);
                FileStatus[] matches = fs.globStatus(input);
                List<FileStatus> files = new ArrayList<>();
                for (FileStatus match : matches == null ? new FileStatus[0] : matches) {
                    collect(fs, match, spec.recursive(), files);
                }
                long csv = files.stream().filter(f -> f.getPath().getName().endsWith(".csv")).count();
                if (csv > 0 && csv < files.size()) {
                    throw new IllegalArgumentException("manifest " + spec.input() + " mixes CSV files (*.csv) with others;"
                            + " give it files of one kind");
                }
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                files.stream().map(f -> f.getPath() + " " + f.getLen() + " " + f.getModificationTime() + "\n").sorted()
                        .forEach(line -> sha.update(line.getBytes(StandardCharsets.UTF_8)));
                return new Files(csv > 0, HexFormat.of().formatHex(sha.digest()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is required of every JVM", e);
            }
        }

        private static void collect(FileSystem fs, FileStatus status, boolean recursive, List<FileStatus> files)
                throws IOException {
            if (status.isFile()) {
                files.add(status);
                return;
            }
            for (FileStatus child : fs.listStatus(status.getPath())) {
                String name = child.getPath().getName();
                if (name.startsWith("_") || name.startsWith(".")) {
                    continue;
                }
                if (child.isFile()) {
                    files.add(child);
                } else if (recursive) {
                    collect(fs, child, true, files);
                }
            }
        }
    }

    /** Where run {@code runId} keeps its plan in {@code output}. */
    static Path directory(Path output, String runId) {
        return new Path(output, INFO + "-" + runId);
    }

    /**
     * The run's chunks: from its plan if an earlier attempt (or a run beside this one) wrote it,
     * else planned now and put in place by one rename (the first plan in place stands).
     */
    static List<ChunkPlan.Chunk> chunks(SparkSession spark, InputSpec spec, int chunkRows, ChunkedOutput output,
                                        String runId) throws IOException {
        Path plan = directory(output.directory(), runId);
        String manifest = spec.format().equals("manifest-table") ? "table " + spec.input()
                : Files.of(spec, spark.sparkContext().hadoopConfiguration()).fingerprint();
        if (!output.exists(new Path(plan, INFO))) {
            Path staging = output.staging();
            try {
                write(spark, spec, chunkRows, manifest, output, staging);
                output.renameIfAbsent(staging, plan);
            } finally {
                output.delete(staging);
            }
        }
        Properties info = output.readProperties(new Path(plan, INFO));
        if (!manifest.equals(info.getProperty("manifest"))) {
            throw new IllegalArgumentException("the manifest " + spec.input() + " changed since run " + runId
                    + " planned its chunks, so they no longer line up; use --mode overwrite to start over");
        }
        int plannedRows = Integer.parseInt(info.getProperty("chunk-rows"));
        if (plannedRows != chunkRows) {
            throw new IllegalArgumentException("run " + runId + " planned chunks of " + plannedRows + " rows; run it"
                    + " again with --chunk-rows " + plannedRows + ", or use --mode overwrite to start over");
        }
        long rows = Long.parseLong(info.getProperty("rows"));
        List<ChunkPlan.Chunk> chunks = new ArrayList<>();
        for (long from = 0; from < rows; from += chunkRows) {
            int index = chunks.size();
            long size = Math.min(chunkRows, rows - from);
            chunks.add(new ChunkPlan.Chunk(index,
                    List.of(new ChunkPlan.InputFile(new Path(new Path(plan, "rows"), "chunk=" + index).toString(), size)),
                    size));
        }
        return chunks;
    }

    /** The manifest's rows, numbered and partitioned by chunk, under {@code staging}, and the plan's facts. */
    private static void write(SparkSession spark, InputSpec spec, int chunkRows, String manifest, ChunkedOutput output,
                              Path staging) throws IOException {
        Dataset<Row> rows = ImageSource.readManifest(spark, spec);
        int width = rows.schema().size();
        JavaRDD<Row> numbered = rows.javaRDD().zipWithIndex().map(pair -> {
            Object[] values = new Object[width + 1];
            for (int i = 0; i < width; i++) {
                values[i] = pair._1().get(i);
            }
            values[width] = (int) (pair._2() / chunkRows);
            return RowFactory.create(values);
        });
        StructType schema = rows.schema().add("chunk", DataTypes.IntegerType);
        String location = new Path(staging, "rows").toString();
        spark.createDataFrame(numbered, schema).write().partitionBy("chunk").parquet(location);
        long count = spark.read().schema(schema).parquet(location).count();
        Properties info = new Properties();
        info.setProperty("manifest", manifest);
        info.setProperty("chunk-rows", Integer.toString(chunkRows));
        info.setProperty("rows", Long.toString(count));
        output.writeProperties(new Path(staging, INFO), info);
    }

    /** The rows of one planned chunk, as {@link ImageSource#COLUMNS}. */
    static Dataset<Row> read(SparkSession spark, ChunkPlan.Chunk chunk) {
        return spark.read().parquet(chunk.files().get(0).path());
    }
}
