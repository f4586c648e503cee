package dev.mobilenetspark.job.train;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.LinearHead;
import dev.mobilenetspark.model.MobileNetModel;

import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Transfer learning on an embeddings table: a multinomial logistic regression (Spark MLlib) from
 * the backbone's embeddings to the user's labels, evaluated on a held-out part, and put on the
 * backbone as its classifier ({@link MobileNetModel#withHead}), so that {@code infer} runs the
 * new classes directly. The network's softmax over {@code W x + b} is the regression's own
 * probability, so the model predicts what MLlib predicts.
 */
public final class HeadTraining {

    /** Parts per million: the held-out share is decided per image id, whatever the partitioning. */
    private static final int SPLIT_BUCKETS = 1_000_000;

    /**
     * @param holdout   share of the labelled images held out for evaluation, in [0, 1)
     * @param regParam  L2 regularisation of the regression (on standardised features)
     * @param maxIter   iterations of MLlib's L-BFGS
     * @param splitSeed which images are held out
     */
    public record Settings(double holdout, double regParam, int maxIter, long splitSeed) {

        public Settings {
            if (!(holdout >= 0 && holdout < 1)) {
                throw new IllegalArgumentException("--holdout must be at least 0 and below 1, got " + holdout);
            }
            if (!(regParam >= 0) || Double.isInfinite(regParam)) {
                throw new IllegalArgumentException("--reg must be 0 or more, got " + regParam);
            }
            if (maxIter < 1) {
                throw new IllegalArgumentException("--max-iter must be at least 1, got " + maxIter);
            }
        }
    }

    /** One class on the held-out part: how many of its images, found as top-1 (recall), and of the top-1s given it, how many were right. */
    public record ClassRow(String label, long trainRows, long heldOutRows, double recall, double precision) { }

    /**
     * What training gave.
     *
     * @param heldOut per held-out image: image_id, label and MLlib's {@code predicted} label
     */
    public record Result(MobileNetModel model, long trainRows, long heldOutRows, long heldOutUnseen, double top1,
                         double top5, List<ClassRow> classes, Dataset<Row> heldOut) {

        /** The accuracy lines and the per-class table, as printed. */
        public String format() {
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "trained on %d images, %d classes; held out %d%s%n", trainRows,
                    classes.size(), heldOutRows, heldOutUnseen > 0
                            ? " (and " + heldOutUnseen + " whose label no training image has, left out)" : ""));
            if (heldOutRows == 0) {
                out.append("no held-out image has an embedding and a label: no accuracy to report (give their embeddings"
                        + " table to --embeddings too)\n");
            }
            if (heldOutRows > 0) {
                out.append(String.format(Locale.ROOT, "held-out accuracy: top-1 %.4f  top-5 %.4f%n", top1, top5));
            }
            int width = Math.max(5, classes.stream().mapToInt(c -> c.label().length()).max().orElse(5));
            out.append(String.format(Locale.ROOT, "%-" + width + "s %9s %9s %8s %9s%n", "class", "train", "held-out",
                    "recall", "precision"));
            for (ClassRow c : classes) {
                out.append(String.format(Locale.ROOT, "%-" + width + "s %9d %9d %8s %9s%n", c.label(), c.trainRows(),
                        c.heldOutRows(), ratio(c.recall()), ratio(c.precision())));
            }
            return out.toString();
        }

        private static String ratio(double value) {
            return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.4f", value);
        }
    }

    private HeadTraining() {
    }

    /**
     * Trains a head for {@code backbone} on {@code embeddings} (an {@code infer} embeddings table:
     * image_id, embedding, model_id) and {@code labels} (image_id, label). The held-out images are
     * those {@code testLabels} label when it is given (a data set's own test split), else a
     * share of the labelled ones chosen by a hash of their id.
     */
    public static Result train(Dataset<Row> embeddings, Dataset<Row> labels, Dataset<Row> testLabels,
                               MobileNetModel backbone, Settings settings) {
        requireColumns(embeddings, "the embeddings table", "image_id", "embedding", "model_id");
        requireColumns(labels, "the labels", "image_id", "label");
        Dataset<Row> ours = embeddings.where(col("model_id").equalTo(backbone.contentHash()));
        if (ours.isEmpty()) {
            List<String> others = embeddings.select("model_id").distinct().limit(5).as(Encoders.STRING()).collectAsList();
            throw new IllegalArgumentException("the embeddings table has no rows of the backbone (model_id "
                    + backbone.contentHash() + "); it has rows of " + (others.isEmpty() ? "no model" : others)
                    + ": give --model the model that wrote them");
        }
        Dataset<Row> features = ours.select(col("image_id"), col("embedding")).dropDuplicates("image_id")
                .withColumn("features", array_to_vector(col("embedding").cast("array<double>")));
        Dataset<Row> train;
        Dataset<Row> test;
        if (testLabels == null) {
            Dataset<Row> rows = features.join(labelRows(labels), "image_id");
            Column heldOutSide = pmod(xxhash64(col("image_id"), lit(settings.splitSeed())), lit(SPLIT_BUCKETS))
                    .lt(lit((long) Math.round(settings.holdout() * SPLIT_BUCKETS)));
            train = rows.where(heldOutSide.unary_$bang());
            test = rows.where(heldOutSide);
        } else {
            requireColumns(testLabels, "the test labels", "image_id", "label");
            train = features.join(labelRows(labels), "image_id");
            test = features.join(labelRows(testLabels), "image_id");
        }

        StringIndexerModel indexer = new StringIndexer().setInputCol("label").setOutputCol("label_index")
                .setStringOrderType("alphabetAsc").setHandleInvalid("skip").fit(train);
        String[] names = indexer.labelsArray()[0];
        if (names.length < 2) {
            throw new IllegalArgumentException("the labelled embeddings of the training part have " + names.length
                    + " class" + (names.length == 1 ? "" : "es") + "; a classifier needs at least 2");
        }
        LogisticRegressionModel regression = new LogisticRegression().setFamily("multinomial")
                .setFeaturesCol("features").setLabelCol("label_index").setRegParam(settings.regParam())
                .setElasticNetParam(0).setMaxIter(settings.maxIter()).setStandardization(true)
                .fit(indexer.transform(train));

        Map<String, Long> trainCounts = counts(train);
        long trainRows = trainCounts.values().stream().mapToLong(Long::longValue).sum();
        Dataset<Row> seen = indexer.transform(test);
        long heldOutAll = test.count();
        Dataset<Row> predicted = regression.transform(seen)
                .withColumn("p", vector_to_array(col("probability"), "float64"))
                .withColumn("rank", expr("size(filter(p, x -> x > element_at(p, cast(label_index as int) + 1)))"))
                .withColumn("predicted", element(names, col("prediction")));
        Evaluation evaluation = evaluate(predicted, names, trainCounts);
        long heldOutRows = evaluation.classes().stream().mapToLong(ClassRow::heldOutRows).sum();
        double top1 = heldOutRows == 0 ? Double.NaN : evaluation.top1() / (double) heldOutRows;
        double top5 = heldOutRows == 0 ? Double.NaN : evaluation.top5() / (double) heldOutRows;

        MobileNetModel model = backbone.withHead(head(regression, names));
        return new Result(model, trainRows, heldOutRows, heldOutAll - heldOutRows, top1, top5, evaluation.classes(),
                predicted.select("image_id", "label", "predicted"));
    }

    /**
     * The labelled rows: a null or blank label labels nothing. A label with a line break is
     * refused, since the model file keeps one class name per line.
     */
    private static Dataset<Row> labelRows(Dataset<Row> labels) {
        Dataset<Row> rows = labels.select(col("image_id").cast("string").as("image_id"),
                        col("label").cast("string").as("label"))
                .where(col("label").isNotNull().and(trim(col("label")).notEqual(""))).distinct();
        List<Row> broken = rows.where(col("label").rlike("[\\r\\n]")).limit(1).collectAsList();
        if (!broken.isEmpty()) {
            throw new IllegalArgumentException("image " + broken.get(0).getString(0) + " has a label with a line break;"
                    + " class names are one line each");
        }
        return rows;
    }

    /** The regression's coefficients (in the features' own scale, as MLlib reports them) as the network's head. */
    private static LinearHead head(LogisticRegressionModel regression, String[] names) {
        Matrix coefficients = regression.coefficientMatrix();
        int classes = coefficients.numRows();
        int features = coefficients.numCols();
        float[] weights = new float[classes * features];
        for (int c = 0; c < classes; c++) {
            for (int f = 0; f < features; f++) {
                weights[c * features + f] = (float) coefficients.apply(c, f);
            }
        }
        double[] intercepts = regression.interceptVector().toArray();
        float[] bias = new float[classes];
        for (int c = 0; c < classes; c++) {
            bias[c] = (float) intercepts[c];
        }
        return new LinearHead(Labels.of(Arrays.asList(names)), features, weights, bias);
    }

    /** The per-class table, and how many held-out images had their class first and in the top five. */
    private record Evaluation(List<ClassRow> classes, long top1, long top5) { }

    /** One pass over the held-out predictions: counts by (true class, predicted class), at most classes squared rows. */
    private static Evaluation evaluate(Dataset<Row> predicted, String[] names, Map<String, Long> trainCounts) {
        long[] rows = new long[names.length];
        long[] right = new long[names.length];
        long[] given = new long[names.length];
        long top5 = 0;
        for (Row r : predicted.groupBy(col("label_index").cast("int"), col("prediction").cast("int"))
                .agg(count(lit(1)), sum(when(col("rank").lt(5), 1).otherwise(0))).collectAsList()) {
            int truth = r.getInt(0);
            int guess = r.getInt(1);
            rows[truth] += r.getLong(2);
            given[guess] += r.getLong(2);
            right[truth] += truth == guess ? r.getLong(2) : 0;
            top5 += r.getLong(3);
        }
        List<ClassRow> classes = new ArrayList<>();
        long top1 = 0;
        for (int c = 0; c < names.length; c++) {
            classes.add(new ClassRow(names[c], trainCounts.getOrDefault(names[c], 0L), rows[c],
                    rows[c] == 0 ? Double.NaN : right[c] / (double) rows[c],
                    given[c] == 0 ? Double.NaN : right[c] / (double) given[c]));
            top1 += right[c];
        }
        return new Evaluation(classes, top1, top5);
    }

    private static Map<String, Long> counts(Dataset<Row> rows) {
        Map<String, Long> counts = new HashMap<>();
        for (Row r : rows.groupBy("label").count().collectAsList()) {
            counts.put(r.getString(0), r.getLong(1));
        }
        return counts;
    }

    /** {@code names[index]} as a column: the class names are few, so they travel in the plan. */
    static Column element(String[] names, Column index) {
        return element_at(array(Arrays.stream(names).map(n -> lit(n)).toArray(Column[]::new)), index.cast("int").plus(1));
    }

    private static void requireColumns(Dataset<Row> table, String what, String... columns) {
        List<String> have = Arrays.asList(table.columns());
        for (String column : columns) {
            if (!have.contains(column)) {
                throw new IllegalArgumentException(what + " has no column '" + column + "' (it has " + have + ")");
            }
        }
    }
}
