package dev.mobilenetspark.job;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The job's tables: their schemas, and how the per-image results become them and get written.
 *
 * <ul>
 *   <li>labels: image_id, label_index array&lt;int&gt;, label array&lt;string&gt;, score
 *       array&lt;float&gt; (best first), model_id, arch, alpha, resolution, processed_at;</li>
 *   <li>embeddings: image_id, embedding array&lt;float&gt;, model_id;</li>
 *   <li>errors: image_id, source, stage (read, decode, preprocess, infer), error, model_id.</li>
 * </ul>
 */
public final class OutputTables {

    /** The three tables, in the order they are written. */
    public enum Table {
        LABELS, EMBEDDINGS, ERRORS;

        public String suffix() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private OutputTables() {
    }

    /** The rows of {@code table}, projected from the per-image results. */
    static Dataset<Row> project(Dataset<Row> results, Table table, JobSettings settings) {
        Column modelId = lit(settings.model().id()).as("model_id");
        Column ok = col("stage").isNull();
        return switch (table) {
            case LABELS -> results.where(ok).select(col("image_id"), col("label_index"), col("label"), col("score"),
                    modelId, lit(settings.model().architecture().id()).as("arch"), lit(settings.model().alpha()).as("alpha"),
                    lit(settings.model().resolution()).as("resolution"), col("processed_at"));
            case EMBEDDINGS -> results.where(ok).select(col("image_id"), col("embedding"), modelId);
            case ERRORS -> results.where(col("stage").isNotNull()).select(col("image_id"), col("source"), col("stage"),
                    col("error"), modelId);
        };
    }

    /** The tables this run writes: labels only with a classifier, embeddings unless turned off. */
    public static List<Table> written(JobSettings settings) {
        List<Table> tables = new ArrayList<>();
        if (settings.model().hasClassifier()) {
            tables.add(Table.LABELS);
        }
        if (settings.embeddings()) {
            tables.add(Table.EMBEDDINGS);
        }
        tables.add(Table.ERRORS);
        return tables;
    }

    /**
     * Writes the tables of this run; returns where each went. Into a directory, all tables are
     * first written under {@code DIR/_staging-ID} (readers skip names starting with '_') and
     * only then published, so a run that fails leaves the previous output as it was, never a
     * mix: overwrite replaces the three tables at once, append moves the new files in, and
     * errorifexists renames the tables into place. Into a catalog, each table is saved with the
     * save mode, as the catalog (Hive, Iceberg, Delta) commits it.
     */
    static List<String> writeAll(Dataset<Row> results, JobSettings settings, OutputTarget target) throws IOException {
        List<Table> tables = written(settings);
        List<String> locations = new ArrayList<>();
        if (target.isCatalog()) {
            for (Table table : tables) {
                project(results, table, settings).write().format(target.format())
                        .mode(SaveMode.valueOf(saveMode(target.mode()))).saveAsTable(target.location(table));
                locations.add(target.location(table));
            }
            return locations;
        }
        Path staging = new Path(target.directory(), "_staging-" + UUID.randomUUID());
        FileSystem fs = staging.getFileSystem(results.sparkSession().sparkContext().hadoopConfiguration());
        try {
            for (Table table : tables) {
                project(results, table, settings).write().format(target.format()).mode(SaveMode.ErrorIfExists)
                        .save(new Path(staging, table.suffix()).toString());
            }
            for (Table table : Table.values()) {
                Path destination = new Path(target.location(table));
                if (target.mode().equals("overwrite") && fs.exists(destination) && !fs.delete(destination, true)) {
                    throw new IOException("cannot delete " + destination + " to overwrite it");
                }
                if (tables.contains(table)) {
                    publish(fs, new Path(staging, table.suffix()), destination);
                    locations.add(destination.toString());
                }
            }
            return locations;
        } finally {
            fs.delete(staging, true);
        }
    }

    /** Moves a staged table to its destination, or its data files into an existing one (append). */
    private static void publish(FileSystem fs, Path staged, Path destination) throws IOException {
        if (!fs.exists(destination)) {
            rename(fs, staged, destination);
            return;
        }
        for (FileStatus file : fs.listStatus(staged)) {
            String name = file.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                rename(fs, file.getPath(), new Path(destination, name));
            }
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot move " + from + " to " + to);
        }
    }

    /**
     * {@code input} less the rows whose image_id the existing output tables already hold for this
     * model (labels, embeddings or errors): what a rerun of an interrupted append still has to do.
     */
    static Dataset<Row> withoutDone(SparkSession spark, Dataset<Row> input, JobSettings settings, OutputTarget target)
            throws IOException {
        Dataset<Row> done = null;
        for (Table table : Table.values()) {
            String location = target.location(table);
            boolean exists = target.isCatalog() ? spark.catalog().tableExists(location)
                    : new Path(location).getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(new Path(location));
            if (!exists) {
                continue;
            }
            Dataset<Row> existing = (target.isCatalog() ? spark.table(location)
                    : spark.read().format(target.format()).load(location))
                    .where(col("model_id").equalTo(settings.model().id())).select(col("image_id"));
            done = done == null ? existing : done.union(existing);
        }
        return done == null ? input : input.join(done.distinct(), input.col("image_id").equalTo(done.col("image_id")),
                "left_anti");
    }

    private static String saveMode(String mode) {
        return switch (mode) {
            case "errorifexists" -> "ErrorIfExists";
            case "overwrite" -> "Overwrite";
            case "append" -> "Append";
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        };
    }
}
