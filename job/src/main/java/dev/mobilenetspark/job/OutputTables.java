package dev.mobilenetspark.job;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
final class OutputTables {

    /** The three tables, in the order they are written. */
    enum Table {
        LABELS, EMBEDDINGS, ERRORS;

        String suffix() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What the partition function emits per input row: a success carries the classes and the
     * embedding, a failure its stage and message.
     */
    static final StructType RESULT = new StructType(new StructField[] {
            DataTypes.createStructField("image_id", DataTypes.StringType, true),
            DataTypes.createStructField("source", DataTypes.StringType, true),
            DataTypes.createStructField("label_index", DataTypes.createArrayType(DataTypes.IntegerType, false), true),
            DataTypes.createStructField("label", DataTypes.createArrayType(DataTypes.StringType, false), true),
            DataTypes.createStructField("score", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("stage", DataTypes.StringType, true),
            DataTypes.createStructField("error", DataTypes.StringType, true),
            DataTypes.createStructField("processed_at", DataTypes.TimestampType, true),
    });

    private OutputTables() {
    }

    /** The rows of {@code table}, projected from the per-image results. */
    static Dataset<Row> project(Dataset<Row> results, Table table, JobSettings settings) {
        Column modelId = lit(settings.modelId()).as("model_id");
        Column ok = col("stage").isNull();
        return switch (table) {
            case LABELS -> results.where(ok).select(col("image_id"), col("label_index"), col("label"), col("score"),
                    modelId, lit(settings.arch()).as("arch"), lit(settings.alpha()).as("alpha"),
                    lit(settings.resolution()).as("resolution"), col("processed_at"));
            case EMBEDDINGS -> results.where(ok).select(col("image_id"), col("embedding"), modelId);
            case ERRORS -> results.where(col("stage").isNotNull()).select(col("image_id"), col("source"), col("stage"),
                    col("error"), modelId);
        };
    }

    /** The tables this run writes: labels only with a classifier, embeddings unless turned off. */
    static List<Table> written(JobSettings settings) {
        List<Table> tables = new ArrayList<>();
        if (settings.hasClassifier()) {
            tables.add(Table.LABELS);
        }
        if (settings.embeddings()) {
            tables.add(Table.EMBEDDINGS);
        }
        tables.add(Table.ERRORS);
        return tables;
    }

    /** Writes one table to its path or catalog name; returns where it went. */
    static String write(Dataset<Row> rows, Table table, OutputTarget target) {
        var writer = rows.write().format(target.format()).mode(SaveMode.valueOf(saveMode(target.mode())));
        String location = target.location(table);
        if (target.isCatalog()) {
            writer.saveAsTable(location);
        } else {
            writer.save(location);
        }
        return location;
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
