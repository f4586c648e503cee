package dev.mobilenetspark.job;

import dev.mobilenetspark.job.geo.Places;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;

/**
 * The job's tables: their columns, and how the per-image results become them. Every row carries
 * its lineage: the model (model_id, arch, alpha, resolution) and the run that wrote it (run_id).
 *
 * <ul>
 *   <li>labels: image_id, the kept input columns (--keep-columns), label_index array&lt;int&gt;,
 *       label array&lt;string&gt;, score array&lt;float&gt; (best first), for a places model
 *       cell, lat and lng (the top cell and its centre), the lineage, processed_at;</li>
 *   <li>embeddings: image_id, embedding array&lt;float&gt;, the lineage;</li>
 *   <li>errors: image_id, the kept input columns, source, stage (read, decode, preprocess,
 *       infer), error, the lineage.</li>
 * </ul>
 * In an output directory each table is partitioned by {@code chunk} ({@link ChunkedOutput}).
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

    /** The rows of {@code table}, projected from the per-image results of run {@code runId}. */
    static Dataset<Row> project(Dataset<Row> results, Table table, JobSettings settings, String runId) {
        Column[] lineage = {lit(settings.model().id()).as("model_id"), lit(settings.model().architecture().id()).as("arch"),
                lit(settings.model().alpha()).as("alpha"), lit(settings.model().resolution()).as("resolution")};
        Column run = lit(runId).as("run_id");
        Column ok = col("stage").isNull();
        Column[] id = List.of(results.schema().fieldNames()).contains(ImageSource.KEPT)
                ? new Column[] {col("image_id"), col(ImageSource.KEPT + ".*")} : new Column[] {col("image_id")};
        return switch (table) {
            case LABELS -> results.where(ok).select(concat(id, new Column[] {col("label_index"), col("label"),
                    col("score")}, places(settings.places()), lineage, new Column[] {col("processed_at"), run}));
            case EMBEDDINGS -> results.where(ok).select(concat(new Column[] {col("image_id"), col("embedding")}, lineage,
                    new Column[] {run}));
            case ERRORS -> results.where(col("stage").isNotNull()).select(concat(id, new Column[] {col("source"),
                    col("stage"), col("error")}, lineage, new Column[] {run}));
        };
    }

    /**
     * A places model's columns: the top cell's token and its centre (the predicted position), read
     * from the cells' table by the top class; the cells are few, so they travel in the plan.
     */
    private static Column[] places(Places places) {
        if (places == null) {
            return new Column[0];
        }
        Column top = col("label_index").getItem(0).plus(1);
        Column[] lat = new Column[places.tokens().length];
        Column[] lng = new Column[lat.length];
        Column[] tokens = new Column[lat.length];
        for (int i = 0; i < lat.length; i++) {
            lat[i] = lit(places.centres()[2 * i]);
            lng[i] = lit(places.centres()[2 * i + 1]);
            tokens[i] = lit(places.tokens()[i]);
        }
        return new Column[] {element_at(array(tokens), top).as("cell"), element_at(array(lat), top).as("lat"),
                element_at(array(lng), top).as("lng")};
    }

    private static Column[] concat(Column[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(Column[]::new);
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

    /** Whether the target already has {@code table}. */
    static boolean exists(SparkSession spark, OutputTarget target, Table table) throws IOException {
        String location = target.location(table);
        return target.isCatalog() ? spark.catalog().tableExists(location)
                : new Path(location).getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(new Path(location));
    }

    /**
     * The target's {@code table} as it stands, its {@code columns} alone (DDL, e.g.
     * {@code image_id STRING}): given, not inferred, so that a JSON table without a row still
     * has them, and no JSON file is read just to learn its schema.
     */
    static Dataset<Row> read(SparkSession spark, OutputTarget target, Table table, String columns) {
        String location = target.location(table);
        StructType schema = StructType.fromDDL(columns);
        // Delta keeps its schema in its log and refuses one given at read time.
        Dataset<Row> all = target.isCatalog() ? spark.table(location)
                : target.isLakehouse() ? spark.read().format(target.format()).load(location)
                : spark.read().format(target.format()).schema(schema).load(location);
        return all.select(java.util.Arrays.stream(schema.fieldNames()).map(name -> col(name)).toArray(Column[]::new));
    }

    /**
     * {@code input} less the rows whose image_id the existing output tables already hold for this
     * model (labels, embeddings or errors): what a rerun of an interrupted append still has to do.
     */
    static Dataset<Row> withoutDone(SparkSession spark, Dataset<Row> input, JobSettings settings, OutputTarget target,
                                    int firstChunk) throws IOException {
        Dataset<Row> done = null;
        for (Table table : Table.values()) {
            if (!exists(spark, target, table)) {
                continue;
            }
            // This run's own chunks are left out: one being redone may be half-published.
            Dataset<Row> existing = target.isCatalog()
                    ? read(spark, target, table, "image_id STRING, model_id STRING")
                    : read(spark, target, table, "image_id STRING, model_id STRING, chunk INT")
                            .where(col("chunk").lt(firstChunk));
            existing = existing.where(col("model_id").equalTo(settings.model().id())).select(col("image_id"));
            done = done == null ? existing : done.union(existing);
        }
        return done == null ? input : input.join(done.distinct(), input.col("image_id").equalTo(done.col("image_id")),
                "left_anti");
    }

    static SaveMode saveMode(String mode) {
        return switch (mode) {
            case "errorifexists" -> SaveMode.ErrorIfExists;
            case "overwrite" -> SaveMode.Overwrite;
            case "append" -> SaveMode.Append;
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        };
    }
}
