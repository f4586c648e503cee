package dev.mobilenetspark.job;

import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.Prediction;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;

/**
 * What the partition function emits for one input row: a success carries the classes (best
 * first) and the embedding, a failure its stage and message; both carry the input columns the
 * user keeps ({@code kept}, or null). The output tables are projections of these rows
 * ({@link OutputTables}).
 */
record ResultRow(String imageId, String source, int[] labelIndex, String[] label, float[] score, float[] embedding,
                 String stage, String error, Timestamp processedAt, Row kept) {

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

    /** {@link #SCHEMA}, with the struct of kept columns where the input rows ({@code input}) have one. */
    static StructType schema(StructType input) {
        return List.of(input.fieldNames()).contains(ImageSource.KEPT)
                ? SCHEMA.add(input.apply(ImageSource.KEPT)) : SCHEMA;
    }

    /** The image's top classes, and its embedding unless {@code withEmbedding} is off. */
    static ResultRow success(String imageId, String source, Prediction p, boolean withEmbedding, Timestamp at, Row kept) {
        int k = p.top().size();
        int[] index = new int[k];
        String[] label = new String[k];
        float[] score = new float[k];
        for (int i = 0; i < k; i++) {
            index[i] = p.top().get(i).index();
            label[i] = p.top().get(i).name();
            score[i] = p.top().get(i).probability();
        }
        return new ResultRow(imageId, source, index, label, score, withEmbedding ? p.embedding() : null, null, null, at,
                kept);
    }

    static ResultRow failure(String imageId, String source, ModelHandler.Failure failure, Row kept) {
        return new ResultRow(imageId, source, null, null, null, null, failure.stage().id(), failure.message(),
                new Timestamp(System.currentTimeMillis()), kept);
    }

    /** This result as a row of {@code schema} ({@link #schema}), its values in {@link #SCHEMA}'s order. */
    Row toRow(StructType schema) {
        Object[] common = {imageId, source, labelIndex, label, score, embedding, stage, error, processedAt};
        Object[] values = schema.size() == common.length ? common : Arrays.copyOf(common, common.length + 1);
        if (values.length > common.length) {
            values[common.length] = kept;
        }
        return new GenericRowWithSchema(values, schema);
    }
}
