package dev.mobilenetspark.job.train;

import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.job.cli.MobileNetCli;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.file.ModelLoader;

import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.udf;

/**
 * The linear probe: top-1 of a logistic-regression head ({@link HeadTraining}) on each shipped
 * backbone's embeddings of a labelled data set, on a random-weights network of the same shape
 * (the control), and on the raw pixels. Not a test: prints a table.
 *
 * <pre>
 * data-samples/fashion-mnist/prepare.sh /tmp/fm 10000 2000
 * java -cp ... dev.mobilenetspark.job.train.LinearProbeBenchmark /tmp/fm /tmp/probe
 * </pre>
 */
public final class LinearProbeBenchmark {

    private static final HeadTraining.Settings SETTINGS = new HeadTraining.Settings(0, 1e-3, 100, 1);

    private LinearProbeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path work = Path.of(args[1]);
        List<String> backbones = args.length > 2 ? List.of(args).subList(2, args.length)
                : List.of("data-samples/models/mobilenet_v2_nsfw", "data-samples/models/ssd_mobilenetv1_faceapi");
        try (SparkSessions.Handle handle = SparkSessions.getOrCreate()) {
            table(handle.session(), data, work, backbones);
        }
    }

    private static void table(SparkSession spark, Path data, Path work, List<String> backbones) throws Exception {
        Dataset<Row> train = spark.read().parquet(data.resolve("train").toString());
        Dataset<Row> test = spark.read().parquet(data.resolve("test").toString());
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-44s %8s %8s %8s %8s", "features", "train", "test", "top-1", "top-5"));
        for (String source : backbones) {
            MobileNetModel shipped = ModelLoader.load(Path.of(source));
            MobileNetModel random = MobileNetModel.create(shipped.config().with(c -> c.head(List.of(), 0)),
                    shipped.preprocessing(), Labels.none(), 12345);
            lines.add(probe(spark, shipped, source, data, work, train, test));
            lines.add(probe(spark, random, "random weights, " + random.config().summary(), data, work, train, test));
        }
        lines.add(rawPixels(spark, train, test));
        lines.forEach(System.out::println);
    }

    private static String probe(SparkSession spark, MobileNetModel backbone, String name, Path data, Path work,
                                Dataset<Row> train, Dataset<Row> test) throws Exception {
        Path model = work.resolve(backbone.contentHash().substring(0, 12) + ".zip");
        ModelFile.write(backbone, model);
        Path out = work.resolve("embedded-" + backbone.contentHash().substring(0, 12));
        for (String split : List.of("train", "test")) {
            int exit = MobileNetCli.execute("infer", "--input", data.resolve(split).toString(), "--id-column", "image_id",
                    "--model", model.toString(), "--output", out.resolve(split).toString(), "--mode", "append");
            if (exit != 0) {
                throw new IllegalStateException("infer exited " + exit + " for " + name);
            }
        }
        Dataset<Row> embeddings = spark.read().parquet(out.resolve("train/embeddings").toString())
                .unionByName(spark.read().parquet(out.resolve("test/embeddings").toString()));
        HeadTraining.Result r = HeadTraining.train(embeddings, train.select("image_id", "label"),
                test.select("image_id", "label"), backbone, SETTINGS);
        return String.format(Locale.ROOT, "%-44s %8d %8d %8.4f %8.4f", abbreviate(name), r.trainRows(), r.heldOutRows(),
                r.top1(), r.top5());
    }

    /** The same regression on the images' own pixels, scaled to [0, 1]. */
    private static String rawPixels(SparkSession spark, Dataset<Row> train, Dataset<Row> test) {
        UDF1<byte[], float[]> pixels = png -> {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            float[] out = new float[image.getWidth() * image.getHeight()];
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    out[y * image.getWidth() + x] = (image.getRaster().getSample(x, y, 0)) / 255f;
                }
            }
            return out;
        };
        spark.udf().register("png_pixels", udf(pixels, DataTypes.createArrayType(DataTypes.FloatType)));
        StringIndexerModel indexer = new StringIndexer().setInputCol("label").setOutputCol("label_index")
                .setStringOrderType("alphabetAsc").fit(train);
        Dataset<Row> trainRows = features(indexer.transform(train));
        Dataset<Row> testRows = features(indexer.transform(test));
        LogisticRegressionModel model = new LogisticRegression().setFamily("multinomial").setLabelCol("label_index")
                .setRegParam(SETTINGS.regParam()).setMaxIter(SETTINGS.maxIter()).fit(trainRows);
        Dataset<Row> predicted = model.transform(testRows);
        long right = predicted.where(col("prediction").equalTo(col("label_index"))).count();
        long n = testRows.count();
        return String.format(Locale.ROOT, "%-44s %8d %8d %8.4f %8s", "raw pixels (784)", trainRows.count(), n,
                right / (double) n, "-");
    }

    private static Dataset<Row> features(Dataset<Row> rows) {
        return rows.withColumn("features", array_to_vector(expr("cast(png_pixels(image) as array<double>)")));
    }

    private static String abbreviate(String name) {
        return name.length() <= 44 ? name : name.substring(0, 41) + "...";
    }
}
