package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.job.StoredTable;
import dev.mobilenetspark.job.geo.GeoCells;
import dev.mobilenetspark.job.train.HeadTraining;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.file.ModelFile;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code train-head}: a new classifier on a backbone's embeddings (transfer learning), written
 * as a model file that {@code infer --model} runs. Options may come from
 * {@code spark.mobilenet.train-head.NAME}.
 */
@Command(name = "train-head", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a logistic-regression head (Spark MLlib) on an embeddings table and the images' labels;"
                + " print held-out accuracy; write the backbone with the new head as a model file.")
final class TrainHeadCommand extends ConfiguredCommand {

    @Option(names = "--embeddings", required = true, split = ",", paramLabel = "PATH|TABLE",
            description = "Embeddings tables written by infer, comma-separated (the training images' and the held-out"
                    + " ones'): each a directory (any format infer writes) or a table name.")
    List<String> embeddings;

    @Option(names = "--labels", paramLabel = "PATH|TABLE",
            description = "Each image's class: a table, or Parquet or CSV (with a header) files, with columns image_id and label.")
    String labels;

    @Option(names = "--test-labels", paramLabel = "PATH|TABLE",
            description = "Hold out these images (image_id, label), a data set's own test split, instead of a share by --holdout.")
    String testLabels;

    @Option(names = "--cells", paramLabel = "PATH|TABLE",
            description = "Instead of --labels: the cells geo-cells wrote; each image of --points is labelled by its cell,"
                    + " and the model becomes a places model.")
    String cells;

    @Option(names = "--points", paramLabel = "PATH|TABLE", description = "With --cells: the images' positions (image_id, lat, lng).")
    String points;

    @Option(names = "--test-points", paramLabel = "PATH|TABLE",
            description = "With --cells: hold out these images, labelled by their cells, instead of a share by --holdout.")
    String testPoints;

    @Mixin
    ModelOptions backbone;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "The new model file; never replaced.")
    Path output;

    @Option(names = "--holdout", defaultValue = "0.2",
            description = "Share of the labelled images held out for the accuracy figures, by image id (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--reg", defaultValue = "0.001",
            description = "L2 regularisation, on standardised embeddings (default: ${DEFAULT-VALUE}).")
    double reg;

    @Option(names = "--max-iter", defaultValue = "100", description = "Iterations of the optimiser (default: ${DEFAULT-VALUE}).")
    int maxIter;

    @Option(names = "--split-seed", defaultValue = "1", description = "Which images are held out (default: ${DEFAULT-VALUE}).")
    long splitSeed;

    @Override
    int run() throws Exception {
        HeadTraining.Settings settings = new HeadTraining.Settings(holdout, reg, maxIter, splitSeed);
        if (Files.exists(output)) {
            throw new IllegalArgumentException("--output " + output + " exists; choose another path");
        }
        if ((labels == null) == (cells == null)) {
            throw new IllegalArgumentException("train-head needs --labels, or --cells with --points");
        }
        if (cells != null ? points == null || testLabels != null : points != null || testPoints != null) {
            throw new IllegalArgumentException("--points and --test-points go with --cells, --test-labels with --labels");
        }
        Configuration hadoop = SparkSessions.hadoopConfiguration();
        List<StoredTable> embeddingTables = new ArrayList<>();
        for (String table : embeddings) {
            embeddingTables.add(StoredTable.resolve(table, "--embeddings", hadoop));
        }
        StoredTable labelTable = StoredTable.resolve(cells != null ? points : labels, cells != null ? "--points" : "--labels", hadoop);
        String test = cells != null ? testPoints : testLabels;
        StoredTable testTable = test == null ? null : StoredTable.resolve(test, cells != null ? "--test-points" : "--test-labels", hadoop);
        StoredTable cellTable = cells == null ? null : StoredTable.resolve(cells, "--cells", hadoop);
        MobileNetModel net = backbone.load();

        try (SparkSessions.Handle spark = SparkSessions.getOrCreate(embeddingTables.get(0).format())) {
            SparkSession session = spark.session();
            Dataset<Row> trainLabels = labelTable.read(session);
            Dataset<Row> heldOut = testTable == null ? null : testTable.read(session);
            if (cellTable != null) {
                Dataset<Row> cellRows = cellTable.read(session);
                trainLabels = GeoCells.labels(session, trainLabels, cellRows);
                heldOut = heldOut == null ? null : GeoCells.labels(session, heldOut, cellRows);
            }
            Dataset<Row> vectors = null;
            for (StoredTable table : embeddingTables) {
                Dataset<Row> rows = table.read(session).select("image_id", "embedding", "model_id");
                vectors = vectors == null ? rows : vectors.union(rows);
            }
            HeadTraining.Result result = HeadTraining.train(vectors, trainLabels, heldOut, net, settings);
            ModelFile.write(result.model(), output);
            System.out.print(result.format());
            System.out.println("wrote " + output + ": " + result.model().config().summary() + ", model_id "
                    + result.model().contentHash());
            System.out.flush();
            return 0;
        }
    }
}
