package dev.mobilenetspark.job;

import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.Prediction;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.sql.Timestamp;

/**
 * What the partition function emits for one input row: a success carries the classes (best
 * first) and the embedding, a failure its stage and message. The output tables are projections
 * of these rows ({@link OutputTables}).
 */
record ResultRow(String imageId, String source, int[] labelIndex, String[] label, float[] score, float[] embedding,
                 String stage, String error, Timestamp processedAt) {

    static final StructType SCHEMA = new StructType(new StructField[] {
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

    /** The image's top classes, and its embedding unless {@code withEmbedding} is off. */
    static ResultRow success(String imageId, String source, Prediction p, boolean withEmbedding, Timestamp at) {
        int k = p.top().size();
        int[] index = new int[k];
        String[] label = new String[k];
        float[] score = new float[k];
        for (int i = 0; i < k; i++) {
            index[i] = p.top().get(i).index();
            label[i] = p.top().get(i).name();
            score[i] = p.top().get(i).probability();
        }
        return new ResultRow(imageId, source, index, label, score, withEmbedding ? p.embedding() : null, null, null, at);
    }

    static ResultRow failure(String imageId, String source, ModelHandler.Failure failure) {
        return new ResultRow(imageId, source, null, null, null, null, failure.stage().id(), failure.message(),
                new Timestamp(System.currentTimeMillis()));
    }

    /** This result as a row of {@link #SCHEMA}, each value placed by its field's name. */
    Row toRow() {
        StructField[] fields = SCHEMA.fields();
        Object[] values = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            values[i] = switch (fields[i].name()) {
                case "image_id" -> imageId;
                case "source" -> source;
                case "label_index" -> labelIndex;
                case "label" -> label;
                case "score" -> score;
                case "embedding" -> embedding;
                case "stage" -> stage;
                case "error" -> error;
                case "processed_at" -> processedAt;
                default -> throw new IllegalStateException("no value for result field " + fields[i].name());
            };
        }
        return new GenericRowWithSchema(values, SCHEMA);
    }
}
