package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.Footer;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The input split into chunks, each committed on its own: consecutive input files in path order
 * (image files, or Parquet files up to {@code chunkRows} rows; a Parquet file holding more is a
 * chunk by itself), so the same input always gives the same chunks, whatever the cluster. A
 * manifest's chunks are planned once per run by the executors ({@link ManifestPlan}). A
 * catalog table of images, a Delta table, and a manifest written into a catalog, are one chunk. The driver
 * holds the file names, never the images.
 */
final class ChunkPlan {

    /** Images per task at most, so that Spark's progress bar moves and a retried task is cheap. */
    static final int TASK_ROWS = 1_000;

    /** One input file: its path, and its bytes (image files) or rows (Parquet). */
    record InputFile(String path, long size) implements Serializable { }

    /** Chunk {@code index} of the plan: its files, and the rows they hold (-1 where unknown). */
    record Chunk(int index, List<InputFile> files, long rows) {

        /**
         * SHA-256 of the chunk's file names: a resumed run checks that each committed chunk
         * still stands for the same files, or the boundaries would have moved under it.
         */
        String fingerprint() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                files.forEach(f -> sha.update((f.path() + "\n").getBytes(StandardCharsets.UTF_8)));
                return HexFormat.of().formatHex(sha.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is required of every JVM", e);
            }
        }
    }

    private final InputSpec spec;
    private final List<Chunk> chunks;

    private ChunkPlan(InputSpec spec, List<Chunk> chunks) {
        this.spec = spec;
        this.chunks = List.copyOf(chunks);
    }

    /**
     * @param output where the run's chunks are committed, or null (a catalog output, one chunk)
     * @param runId  the run, whose manifest plan the output keeps
     */
    static ChunkPlan of(SparkSession spark, InputSpec spec, int chunkRows, ChunkedOutput output, String runId)
            throws IOException {
        ImageSource.limitReadBatches(spark);
        List<Chunk> chunks = new ArrayList<>();
        switch (spec.format()) {
            case "images" -> {
                List<InputFile> files = ImageSource.listImages(spark, spec);
                for (int from = 0; from < files.size(); from += chunkRows) {
                    List<InputFile> part = files.subList(from, Math.min(files.size(), from + chunkRows));
                    chunks.add(new Chunk(chunks.size(), part, part.size()));
                }
            }
            case "parquet" -> {
                List<InputFile> files = parquetFiles(spark, spec);
                List<InputFile> part = new ArrayList<>();
                long rows = 0;
                for (InputFile file : files) {
                    if (!part.isEmpty() && rows + file.size() > chunkRows) {
                        chunks.add(new Chunk(chunks.size(), part, rows));
                        part = new ArrayList<>();
                        rows = 0;
                    }
                    part.add(file);
                    rows += file.size();
                }
                if (!part.isEmpty()) {
                    chunks.add(new Chunk(chunks.size(), part, rows));
                }
            }
            case "manifest", "manifest-table" -> {
                if (output != null) {
                    chunks.addAll(ManifestPlan.chunks(spark, spec, chunkRows, output, runId));
                } else {
                    chunks.add(new Chunk(0, List.of(), -1));
                }
            }
            case "table", "delta" -> chunks.add(new Chunk(0, List.of(), -1));
            default -> throw new IllegalArgumentException("unknown input format " + spec.format());
        }
        return new ChunkPlan(spec, chunks);
    }

    List<Chunk> chunks() {
        return chunks;
    }

    /**
     * The batches the first chunk's tasks start with: {@code batchSize}, or fewer where its rows
     * spread over its tasks ({@link #tasks}) fill less (a small input); {@code batchSize} where its
     * rows are unknown.
     */
    int firstBatch(int batchSize, int cores) {
        if (chunks.isEmpty() || chunks.get(0).rows() < 1) {
            return batchSize;
        }
        long rows = chunks.get(0).rows();
        int tasks = tasks(rows, cores);
        return (int) Math.min(batchSize, (rows + tasks - 1) / tasks);
    }

    /**
     * The tasks a chunk of {@code rows} rows is read in: {@code --partitions} where given; else at
     * most {@link #TASK_ROWS} rows each, at least one per core (for Parquet a lower bound, as
     * Spark's file splits may make more).
     */
    private int tasks(long rows, int cores) {
        if (spec.partitions() > 0) {
            return spec.partitions();
        }
        return rows < 0 ? cores : (int) Math.max(1, Math.min(rows, Math.max(cores, Math.ceil(rows / (double) TASK_ROWS))));
    }

    /** Rows of the whole input, where the plan knows them; -1 otherwise. */
    long rows() {
        return chunks.stream().anyMatch(c -> c.rows() < 0) ? -1 : chunks.stream().mapToLong(Chunk::rows).sum();
    }

    /** The rows of {@code chunk}, as {@link ImageSource#COLUMNS}, in tasks of at most {@link #TASK_ROWS} images read by path. */
    Dataset<Row> read(SparkSession spark, Chunk chunk) {
        int cores = spark.sparkContext().defaultParallelism();
        int tasks = tasks(chunk.rows(), cores);
        Dataset<Row> rows = switch (spec.format()) {
            case "images" -> {
                List<Row> listed = chunk.files().stream()
                        .map(f -> RowFactory.create(f.path(), f.path(), null, f.path(), f.size())).toList();
                yield spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(listed, tasks), ImageSource.COLUMNS);
            }
            case "parquet" -> {
                String[] files = chunk.files().stream().map(InputFile::path).toArray(String[]::new);
                var reader = parquetReader(spark, spec);
                // Spark would infer the same schema from one footer, but in a job of its own.
                if (!spark.sessionState().conf().isParquetSchemaMergingEnabled()) {
                    reader = reader.schema(footerSchema(spark, files[0]));
                }
                yield ImageSource.columns(reader.parquet(files), spec, spec.input());
            }
            // A manifest's rows are small: spreading them over tasks costs a shuffle of paths.
            case "manifest", "manifest-table" -> (chunk.files().isEmpty() ? ImageSource.readManifest(spark, spec)
                    : ManifestPlan.read(spark, chunk)).repartition(tasks);
            default -> ImageSource.read(spark, spec);
        };
        int partitions = rows.rdd().getNumPartitions();
        if (spec.partitions() > 0) {
            // Listed images, and a manifest's shuffled paths, are already in that many tasks.
            return partitions == tasks ? rows : rows.repartition(tasks);
        }
        // A chunk of one small Parquet file is one task: spread it, or the other cores wait.
        return partitions < cores ? rows.repartition(cores) : rows;
    }

    /**
     * The Parquet files of the input in path order, each with its rows, read from its footer:
     * listed by Spark's file index (its hidden-file and partition-directory rules) and, as Spark
     * lists, on the driver up to {@code spark.sql.sources.parallelPartitionDiscovery.threshold}
     * files and by a job over more. A query counting rows by {@code input_file_name()} cost a schema
     * job, two more jobs and a cold plan before the first chunk could start. Files without rows
     * have nothing to infer and are left out.
     */
    private static List<InputFile> parquetFiles(SparkSession spark, InputSpec spec) {
        // A schema given up front: listing needs none, and inferring one costs a job of its own.
        String[] paths = parquetReader(spark, spec).schema(new StructType().add("unused", DataTypes.BinaryType))
                .parquet(spec.input()).inputFiles();
        List<String> files = Arrays.stream(paths).map(p -> new Path(URI.create(p)).toString()).sorted().toList();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<InputFile> counted;
        if (files.size() <= spark.sessionState().conf().parallelPartitionDiscoveryThreshold()) {
            Configuration conf = jsc.hadoopConfiguration();
            counted = files.stream().map(f -> footerRows(f, conf)).toList();
        } else {
            Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
            int slices = Math.min(files.size(), spark.sessionState().conf().parallelPartitionDiscoveryParallelism());
            try {
                counted = jsc.parallelize(files, slices).map(f -> footerRows(f, conf.value().value())).collect();
            } finally {
                conf.destroy();
            }
        }
        return counted.stream().filter(f -> f.size() > 0).toList();
    }

    private static InputFile footerRows(String file, Configuration conf) {
        return new InputFile(file, footer(file, conf).getBlocks().stream().mapToLong(BlockMetaData::getRowCount).sum());
    }

    /** A Parquet file's schema as Spark reads it from a footer: the one Spark wrote there, else converted from Parquet's. */
    private static StructType footerSchema(SparkSession spark, String file) {
        Footer footer = new Footer(new Path(file), footer(file, spark.sparkContext().hadoopConfiguration()));
        return ParquetFileFormat.readSchemaFromFooter(footer, new ParquetToSparkSchemaConverter(spark.sessionState().conf()));
    }

    private static ParquetMetadata footer(String file, Configuration conf) {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
            return reader.getFooter();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Parquet footer of " + file + ": " + e.getMessage(), e);
        }
    }

    /** Files read one by one keep the partition columns of the directory they came from. */
    private static org.apache.spark.sql.DataFrameReader parquetReader(SparkSession spark, InputSpec spec) {
        var reader = spark.read();
        try {
            Path input = new Path(spec.input());
            FileSystem fs = input.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.isDirectory(input)) {
                reader = reader.option("basePath", input.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return reader;
    }
}
