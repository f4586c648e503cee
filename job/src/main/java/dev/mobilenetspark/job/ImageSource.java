package dev.mobilenetspark.job;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import scala.jdk.javaapi.CollectionConverters;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;

/**
 * Reads the input as rows of {@link #COLUMNS}. Image files are listed through Spark's
 * {@code binaryFile} source (any Hadoop file system) without their content: each task reads its
 * own files, so one unreadable file is one error row and no image passes through the driver.
 */
final class ImageSource {

    /**
     * image_id, source (file path, input path or table name), image bytes or null, path to read
     * or null, and the file's length as listed (so that no executor asks the file system again).
     */
    static final StructType COLUMNS = new StructType(new StructField[] {
            DataTypes.createStructField("image_id", DataTypes.StringType, true),
            DataTypes.createStructField("source", DataTypes.StringType, true),
            DataTypes.createStructField("image", DataTypes.BinaryType, true),
            DataTypes.createStructField("path", DataTypes.StringType, true),
            DataTypes.createStructField("length", DataTypes.LongType, true),
    });

    /** The struct column of the input columns the user keeps, where any are kept. */
    static final String KEPT = "kept";

    private ImageSource() {
    }

    /**
     * Rows per columnar batch when reading image tables. Spark's default, 4096, holds 4096 images
     * (a gigabyte of JPEGs) per task at once, so memory grew with the input; 64 images keep a
     * task's read buffer near the size of one forward-pass batch. A value the user set is kept.
     */
    static final int IMAGE_ROWS_PER_READ_BATCH = 64;
    private static final List<String> READ_BATCH_KEYS = List.of(
            "spark.sql.parquet.columnarReaderBatchSize", "spark.sql.orc.columnarReaderBatchSize");

    /** A catalog table's rows, or a Delta table's by path, read whole. */
    static Dataset<Row> read(SparkSession spark, InputSpec spec) {
        limitReadBatches(spark);
        return columns(spec.format().equals("delta") ? spark.read().format("delta").load(spec.input())
                : spark.table(spec.input()), spec, spec.input());
    }

    /**
     * Spark's columnar readers hold a batch of rows per task; image rows are large, so a batch
     * is kept near the size of a forward pass's (a value the user set is kept).
     */
    static void limitReadBatches(SparkSession spark) {
        for (String key : READ_BATCH_KEYS) {
            if (!spark.conf().contains(key)) {
                spark.conf().set(key, IMAGE_ROWS_PER_READ_BATCH);
            }
        }
    }

    /**
     * The image files of the input in path order, with their lengths, as Spark's
     * {@code binaryFile} source lists them (any Hadoop file system, its glob filter and
     * recursive lookup). They are taken from the file index the driver builds when it resolves
     * the source: scanning the source instead would run a job of a task per few dozen files
     * that stats every file again. Zero-byte files are kept, though Spark's file scan leaves
     * them out (SPARK-26161): an empty image is still an input row, an error row to be.
     */
    static List<ChunkPlan.InputFile> listImages(SparkSession spark, InputSpec spec) {
        var reader = spark.read().format("binaryFile").option("recursiveFileLookup", spec.recursive());
        if (spec.pathGlobFilter() != null) {
            reader = reader.option("pathGlobFilter", spec.pathGlobFilter());
        }
        Dataset<Row> files = reader.load(spec.input());
        if (!(files.queryExecution().analyzed() instanceof LogicalRelation relation
                && relation.relation() instanceof HadoopFsRelation fs
                && fs.location() instanceof PartitioningAwareFileIndex index)) {
            throw new IllegalStateException("Spark's binaryFile source of " + spec.input() + " has no file index: "
                    + files.queryExecution().analyzed().nodeName());
        }
        return CollectionConverters.asJava(index.allFiles()).stream()
                .map(status -> new ChunkPlan.InputFile(status.getPath().toString(), status.getLen()))
                .sorted(Comparator.comparing(ChunkPlan.InputFile::path))
                .toList();
    }

    /**
     * {@code table}'s rows as {@link #COLUMNS}, plus a struct {@code kept} of the columns the
     * user keeps: the image from the binary image column, or for a manifest the path to read
     * from the path column. The columns are checked to exist and to have the right type.
     */
    static Dataset<Row> columns(Dataset<Row> table, InputSpec spec, String source) {
        StructType schema = table.schema();
        String content = spec.isManifest() ? spec.pathColumn() : spec.imageColumn();
        List<String> needed = new ArrayList<>(List.of(spec.idColumn(), content));
        needed.addAll(spec.keepColumns());
        for (String column : needed) {
            if (!Arrays.asList(schema.fieldNames()).contains(column)) {
                throw new IllegalArgumentException("input " + source + " has no column '" + column
                        + "'; its columns are " + String.join(", ", schema.fieldNames()));
            }
        }
        DataType type = schema.apply(content).dataType();
        if (spec.isManifest() ? !(type instanceof StringType) : !(type instanceof BinaryType)) {
            throw new IllegalArgumentException((spec.isManifest() ? "path column '" : "image column '") + content + "' of "
                    + source + " is " + type.simpleString() + ", not " + (spec.isManifest() ? "string" : "binary"));
        }
        List<Column> columns = new ArrayList<>(List.of(col(spec.idColumn()).cast(DataTypes.StringType).as("image_id"),
                spec.isManifest() ? col(content).as("source") : lit(source).as("source"),
                spec.isManifest() ? lit(null).cast(DataTypes.BinaryType).as("image") : col(content).as("image"),
                spec.isManifest() ? col(content).as("path") : lit(null).cast(DataTypes.StringType).as("path"),
                lit(null).cast(DataTypes.LongType).as("length")));
        if (!spec.keepColumns().isEmpty()) {
            columns.add(struct(spec.keepColumns().stream().map(c -> col(c)).toArray(Column[]::new)).as(KEPT));
        }
        return table.select(columns.toArray(Column[]::new));
    }

    /**
     * Any table's rows as {@link #COLUMNS}, all of its columns kept: the image is the bytes of
     * binary {@code column}, or read from the path or URI of string {@code column}. Ids are
     * made up: the rows keep the table's own.
     */
    static Dataset<Row> ofColumn(Dataset<Row> table, String column) {
        DataType type = table.schema().apply(column).dataType();
        boolean path = type instanceof StringType;
        if (!path && !(type instanceof BinaryType)) {
            throw new IllegalArgumentException("image column '" + column + "' is " + type.simpleString()
                    + ", not binary (image bytes) or string (paths)");
        }
        return table.select(monotonically_increasing_id().cast(DataTypes.StringType).as("image_id"),
                lit(column).as("source"),
                path ? lit(null).cast(DataTypes.BinaryType).as("image") : table.col(column).as("image"),
                path ? table.col(column).as("path") : lit(null).cast(DataTypes.StringType).as("path"),
                lit(null).cast(DataTypes.LongType).as("length"),
                struct(Arrays.stream(table.columns()).map(table::col).toArray(Column[]::new)).as(KEPT));
    }

    /**
     * A manifest's rows as {@link #COLUMNS}: a catalog table, or Parquet files, or CSV files
     * (names ending in {@code .csv}, with a header line), read by executors.
     */
    static Dataset<Row> readManifest(SparkSession spark, InputSpec spec) {
        if (spec.format().equals("manifest-table")) {
            return columns(spark.table(spec.input()), spec, spec.input());
        }
        var reader = spark.read().option("recursiveFileLookup", spec.recursive());
        Dataset<Row> rows = ManifestPlan.Files.of(spec, spark.sparkContext().hadoopConfiguration()).csv()
                ? reader.option("header", true).csv(spec.input()) : reader.parquet(spec.input());
        return columns(rows, spec, spec.input());
    }
}
