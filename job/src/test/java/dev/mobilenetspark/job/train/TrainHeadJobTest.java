package dev.mobilenetspark.job.train;

import dev.mobilenetspark.job.CliRun;
import dev.mobilenetspark.job.SparkTestBase;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.file.ModelLoader;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transfer learning on real labelled images: the first 1,000 Fashion-MNIST training images
 * ({@code data-samples/fashion-mnist}), embedded once by the shipped nsfwjs MobileNetV2, a head
 * trained on 80% of them, and the new model run by {@code infer} on the rest.
 */
class TrainHeadJobTest extends SparkTestBase {

    static final String IMAGES = "../data-samples/fashion-mnist/train-1000.parquet";
    static final String BACKBONE = "../data-samples/models/mobilenet_v2_nsfw";
    private static final List<String> CLASSES = List.of("Ankle boot", "Bag", "Coat", "Dress", "Pullover", "Sandal",
            "Shirt", "Sneaker", "T-shirt/top", "Trouser");

    private static Path embedded;

    @BeforeAll
    static void embedOnce() {
        embedded = dir.resolve("embedded");
        infer("infer", "--input", IMAGES, "--id-column", "image_id", "--model", BACKBONE, "--output", embedded.toString());
    }

    @Test
    void theNewModelPredictsWhatMllibPredictsOnEveryHeldOutImage() throws Exception {
        Dataset<Row> labels = spark.read().parquet(IMAGES);
        HeadTraining.Result result = HeadTraining.train(table(embedded, "embeddings"), labels, null,
                ModelLoader.load(Path.of(BACKBONE)),
                new HeadTraining.Settings(0.2, 1e-3, 100, 1));

        assertEquals(1000, result.trainRows() + result.heldOutRows());
        assertTrue(result.heldOutRows() > 150 && result.heldOutRows() < 250, "about a fifth held out: " + result.heldOutRows());
        assertEquals(CLASSES, result.classes().stream().map(HeadTraining.ClassRow::label).toList());
        // Ten classes: chance is 0.1; a pretrained backbone's linear probe does far better.
        assertTrue(result.top1() > 0.6, "top-1 " + result.top1());
        assertTrue(result.top5() > result.top1() && result.top5() > 0.9, "top-5 " + result.top5());
        assertEquals(10, result.model().config().classes());

        Path model = dir.resolve("fashion-head.zip");
        ModelFile.write(result.model(), model);
        Path heldOut = dir.resolve("held-out");
        labels.join(result.heldOut().select("image_id"), "image_id").write().parquet(heldOut.toString());
        Path out = dir.resolve("new-classes");
        infer("infer", "--input", heldOut.toString(), "--id-column", "image_id", "--model", model.toString(),
                "--top-k", "3", "--embeddings=false", "--output", out.toString());

        Map<String, String> mllib = new HashMap<>();
        for (Row r : result.heldOut().collectAsList()) {
            mllib.put(r.getString(0), r.getString(2));
        }
        List<Row> ours = table(out, "labels").select(col("image_id"), col("label").getItem(0)).collectAsList();
        assertEquals(result.heldOutRows(), ours.size());
        for (Row r : ours) {
            assertEquals(mllib.get(r.getString(0)), r.getString(1), "image " + r.getString(0));
        }
    }

    @Test
    void theCommandWritesAModelWithTheNewClassesAndNeverReplacesOne() throws Exception {
        Path model = dir.resolve("cli-head.zip");
        CliRun run = CliRun.of("train-head", "--embeddings", embedded.resolve("embeddings").toString(), "--labels", IMAGES,
                "--model", BACKBONE, "--output", model.toString(), "--holdout", "0.3", "--max-iter", "20");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("held-out accuracy: top-1 "), run.out());
        MobileNetModel trained = ModelFile.read(model);
        assertEquals(CLASSES.get(0), trained.labels().name(0));
        assertEquals(10, trained.labels().size());

        CliRun again = CliRun.of("train-head", "--embeddings", embedded.resolve("embeddings").toString(), "--labels", IMAGES,
                "--model", BACKBONE, "--output", model.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("exists"), again.err());
    }

    @Test
    void embeddingsOfAnotherModelAreRefusedByName() {
        CliRun run = CliRun.of("train-head", "--embeddings", embedded.resolve("embeddings").toString(), "--labels", IMAGES,
                "--arch", "v2", "--classes", "0", "--output", dir.resolve("never.zip").toString());
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("has no rows of the backbone"), run.err());
        assertFalse(Files.exists(dir.resolve("never.zip")));
    }
}
