package dev.mobilenetspark.job;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.image.Thumbnail;

import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

/**
 * A model sent to the executors once (broadcast, with the Hadoop configuration their tasks read
 * files with) and the partition function that runs it: what {@code infer}'s chunks and the
 * Spark ML stage both run.
 */
public final class ShippedModel implements AutoCloseable {

    /**
     * Where {@link #predict} puts its outputs: classes (best first), their scores, the embedding
     * (null: none) and a struct {@code (stage, message)} that is null for an image that went through.
     */
    public record Outputs(String labelColumn, String scoreColumn, String embeddingColumn, String errorColumn) { }

    final JobSettings settings;
    final JobMetrics metrics;
    private final Broadcast<byte[]> model;
    private final Broadcast<SerializableConfiguration> hadoopConf;

    private ShippedModel(JobSettings settings, JobMetrics metrics, Broadcast<byte[]> model,
                         Broadcast<SerializableConfiguration> hadoopConf) {
        this.settings = settings;
        this.metrics = metrics;
        this.model = model;
        this.hadoopConf = hadoopConf;
    }

    /** Broadcasts {@code net} (as a model file) for runs with {@code settings}. */
    public static ShippedModel ship(SparkSession spark, MobileNetModel net, JobSettings settings) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ByteArrayOutputStream modelFile = new ByteArrayOutputStream();
        ModelFile.write(net, modelFile);
        return new ShippedModel(settings, JobMetrics.register(jsc.sc()), jsc.broadcast(modelFile.toByteArray()),
                jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration())));
    }

    /** Rows of {@link ImageSource#COLUMNS} (and {@code kept}) to rows of {@link ResultRow#schema}. */
    Dataset<Row> results(Dataset<Row> rows) {
        StructType schema = ResultRow.schema(rows.schema());
        return rows.mapPartitions(new PartitionInference(settings, model, hadoopConf, metrics, schema), Encoders.row(schema));
    }

    /**
     * A small JPEG of each of {@code rows}' images (of {@link ImageSource#COLUMNS}), made on the
     * executors as the model decodes: image_id, thumbnail (null where the image does not decode).
     */
    Dataset<Row> thumbnails(Dataset<Row> rows, int size) {
        ImageBytes images = new ImageBytes(settings.maxFileBytes(), hadoopConf);
        JobSettings s = settings;
        Broadcast<byte[]> m = model;
        LongAccumulator loads = metrics.modelLoads;
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("thumbnail", DataTypes.BinaryType);
        return rows.map((MapFunction<Row, Row>) row -> {
            byte[] thumbnail;
            try {
                thumbnail = Thumbnail.jpeg(images.of(row), ExecutorModels.get(s, m, loads).model().preprocessing(), size);
            } catch (IOException | RuntimeException e) {
                thumbnail = null;
            }
            return RowFactory.create(row.<String>getAs("image_id"), thumbnail);
        }, Encoders.row(schema));
    }

    /**
     * A job of one task per slot in which each executor loads the model and runs one blank batch
     * of {@code batch} images, so that the first tasks of a run find it ready.
     */
    JavaFutureAction<Void> warmUp(JavaSparkContext jsc, int batch) {
        int slots = jsc.defaultParallelism();
        JobSettings s = settings;
        Broadcast<byte[]> m = model;
        LongAccumulator loads = metrics.modelLoads;
        return jsc.parallelize(IntStream.range(0, slots).boxed().toList(), slots)
                .foreachPartitionAsync(ignored -> ExecutorModels.warmUp(s, m, loads, batch));
    }

    /**
     * {@code input} with the model's outputs added for the image in {@code imageColumn}: its
     * bytes (binary) or a path or URI on any Hadoop file system (string). Every input row gives
     * one output row; a row whose image cannot be read, decoded or inferred has its error set
     * and its other outputs null.
     */
    public Dataset<Row> predict(Dataset<Row> input, String imageColumn, Outputs outputs) {
        Dataset<Row> results = results(ImageSource.ofColumn(input, imageColumn));
        List<Column> columns = new ArrayList<>();
        for (String name : input.columns()) {
            columns.add(col(ImageSource.KEPT).getField(name).as(name));
        }
        columns.add(col("label").as(outputs.labelColumn()));
        columns.add(col("score").as(outputs.scoreColumn()));
        if (outputs.embeddingColumn() != null) {
            columns.add(col("embedding").as(outputs.embeddingColumn()));
        }
        columns.add(when(col("stage").isNotNull(), struct(col("stage"), col("error").as("message")))
                .as(outputs.errorColumn()));
        return results.select(columns.toArray(Column[]::new));
    }

    /** Frees the broadcasts once no job needs them. */
    @Override
    public void close() {
        model.destroy();
        hadoopConf.destroy();
    }
}
