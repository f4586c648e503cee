package dev.mobilenetspark.job.ml;

import dev.mobilenetspark.job.SparkTestBase;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ML stage on the sample photos with the trained V2 model, against the TensorFlow.js reference. */
class MobileNetTransformerTest extends SparkTestBase {

    private static final String MODEL = "../data-samples/models/mobilenet_v2_nsfw";

    /** Top class of each photo from model/src/test/resources/golden/reference.json (TensorFlow.js). */
    private static final Map<String, String> EXPECTED = Map.of("china.jpg", "Neutral", "flower.jpg", "Neutral",
            "grace_hopper.jpg", "Neutral", "ski_astronaut.png", "Neutral", "ski_chelsea.png", "Neutral",
            "ski_coffee.png", "Neutral", "ski_rocket.jpg", "Drawing");

    private static MobileNetTransformer stage() {
        return new MobileNetTransformer().setModelPath(MODEL).setTopK(2).setBatchSize(4);
    }

    /** File name -> top class, from rows whose {@code source} column holds a path or name. */
    private static Map<String, String> topClasses(Dataset<Row> out, String source) {
        Map<String, String> top = new TreeMap<>();
        for (Row r : out.select(col(source), element_at(col("label"), 1)).collectAsList()) {
            top.put(Path.of(r.getString(0)).getFileName().toString(), r.getString(1));
        }
        return top;
    }

    private static Dataset<Row> binaryFiles(Path dir) {
        return spark.read().format("binaryFile").load(dir.toString());
    }

    @Test
    void labelsParquetRowsAsTensorFlowJsDoesKeepingEveryColumn() {
        Dataset<Row> input = spark.read().parquet("../data-samples/photos.parquet");
        Dataset<Row> out = stage().transform(input);
        assertEquals(List.of("id", "image", "source", "label", "score", "embedding", "error"), List.of(out.columns()));
        assertEquals(new TreeMap<>(EXPECTED), topClasses(out, "source"));
        for (Row r : out.collectAsList()) {
            assertNull(r.getAs("error"));
            assertEquals(2, r.getList(r.fieldIndex("score")).size());
            assertEquals(1280, r.getList(r.fieldIndex("embedding")).size());
        }
    }

    @Test
    void binaryFileContentAndPathsGiveTheSameOutputsAndABadFileIsAnErrorRow() throws IOException {
        Path photos = dir.resolve("photos-and-junk");
        Files.createDirectories(photos);
        for (Path p : Files.newDirectoryStream(Path.of("../data-samples/photos"), "*.{jpg,png}")) {
            Files.copy(p, photos.resolve(p.getFileName()));
        }
        Files.writeString(photos.resolve("broken.jpg"), "not a JPEG");
        Dataset<Row> files = binaryFiles(photos);

        Dataset<Row> byContent = stage().setInputCol("content").setEmbeddingCol("").transform(files);
        Dataset<Row> byPath = stage().setInputCol("path").setEmbeddingCol("").transform(files.drop("content"));

        Map<String, String> expected = new TreeMap<>(EXPECTED);
        expected.put("broken.jpg", null);
        assertEquals(expected, topClasses(byContent, "path"));
        assertEquals(expected, topClasses(byPath, "path"));
        assertTrue(List.of(byContent.columns()).containsAll(List.of("path", "length", "content", "label", "error")));
        for (Dataset<Row> out : List.of(byContent, byPath)) {
            Row broken = out.where(col("path").endsWith("broken.jpg")).select("error.stage", "label").first();
            assertEquals("decode", broken.getString(0));
            assertTrue(broken.isNullAt(1));
        }
        assertEquals(byContent.select("path", "score").orderBy("path").collectAsList(),
                byPath.select("path", "score").orderBy("path").collectAsList());
    }

    @Test
    void aPipelineWithTheStageSavesAndLoadsAndGivesTheSameOutputs() throws IOException {
        Dataset<Row> input = spark.read().parquet("../data-samples/photos.parquet");
        // fast decoding halves grace_hopper.jpg (512x600) in the DCT for the 224-pixel model.
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            stage().setScoreCol("p").setEmbeddingCol("").setDecodeScaling("fast")});
        Path saved = dir.resolve("pipeline");
        pipeline.write().overwrite().save(saved.toString());
        PipelineModel fitted = Pipeline.load(saved.toString()).fit(input);
        Path savedModel = dir.resolve("pipeline-model");
        fitted.write().overwrite().save(savedModel.toString());

        PipelineModel loaded = PipelineModel.load(savedModel.toString());
        MobileNetTransformer stage = (MobileNetTransformer) loaded.stages()[0];
        assertEquals(2, stage.getOrDefault(stage.topK()));
        assertEquals("p", stage.getOrDefault(stage.scoreCol()));
        assertEquals("fast", stage.getOrDefault(stage.decodeScaling()));
        assertEquals("fp32", stage.getOrDefault(stage.precision()));
        assertTrue(Files.isRegularFile(savedModel.resolve("stages").toFile().listFiles()[0].toPath().resolve("model")),
                "the saved stage keeps its model");
        assertTrue(stage.getOrDefault(stage.modelPath()).startsWith(savedModel.resolve("stages") + "/"),
                stage.getOrDefault(stage.modelPath()));

        List<Row> before = stage().setScoreCol("p").setEmbeddingCol("").setDecodeScaling("fast").transform(input)
                .drop("image").orderBy("id").collectAsList();
        List<Row> after = loaded.transform(input).drop("image").orderBy("id").collectAsList();
        assertEquals(before, after);
        assertEquals(List.of("id", "source", "label", "p", "error"), List.of(loaded.transform(input).drop("image").columns()));
    }

    @Test
    void aMissingOrClashingColumnIsRefusedBeforeAnyTaskRuns() {
        assertThrows(IllegalArgumentException.class, () -> stage().setDecodeScaling("quick"));
        assertThrows(IllegalArgumentException.class, () -> stage().setPrecision("fp16"));
        Dataset<Row> input = spark.read().parquet("../data-samples/photos.parquet");
        assertEquals("input has no column 'content'; its columns are id, image, source", assertThrows(
                IllegalArgumentException.class, () -> stage().setInputCol("content").transform(input)).getMessage());
        assertEquals("image column 'id' is bigint, not binary (image bytes) or string (paths)", assertThrows(
                IllegalArgumentException.class, () -> stage().setInputCol("id").transform(input)).getMessage());
        assertEquals("output column 'source' exists already in the input", assertThrows(
                IllegalArgumentException.class, () -> stage().setLabelCol("source").transform(input)).getMessage());
        assertEquals("the modelPath param is not set", assertThrows(IllegalArgumentException.class,
                () -> new MobileNetTransformer().transform(input)).getMessage());
    }
}
