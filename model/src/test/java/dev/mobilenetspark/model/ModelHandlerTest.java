package dev.mobilenetspark.model;

import dev.mobilenetspark.model.image.Preprocessing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handler on a small random V1: its top-k, labels, shapes, threads, photos and failures. */
class ModelHandlerTest {

    private static final MobileNetConfig CONFIG = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).classes(20));
    private static MobileNetModel model;
    private static ModelHandler handler;
    private static INDArray batch;

    @BeforeAll
    static void createOnce() {
        model = MobileNetModel.create(CONFIG, Preprocessing.keras(), Labels.none(), 5);
        handler = ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0);
        Nd4j.getRandom().setSeed(11);
        batch = Nd4j.rand(DataType.FLOAT, 6, 128, 128, 3).muli(2).subi(1);
    }

    @Test
    void topKIsTheKMostProbableClassesInOrderWithTheirProbabilities() {
        INDArray probabilities = model.network().output(false, batch)[0];
        List<Prediction> predictions = handler.predict(batch, 4);
        assertEquals(6, predictions.size());
        for (int i = 0; i < 6; i++) {
            float[] p = probabilities.getRow(i).toFloatVector();
            List<Prediction.ClassScore> top = predictions.get(i).top();
            assertEquals(4, top.size());
            for (int j = 0; j < top.size(); j++) {
                Prediction.ClassScore s = top.get(j);
                assertEquals(p[s.index()], s.probability(), 1e-6, "the handler runs the BatchNorm-folded copy");
                assertEquals("class_" + s.index(), s.name());
                long higher = 0;
                for (float v : p) {
                    higher += v > p[s.index()] ? 1 : 0;
                }
                assertEquals(j, higher, "rank of class " + s.index());
            }
            assertEquals(model.embeddingSize(), predictions.get(i).embedding().length);
        }
    }

    @Test
    void kAboveTheClassCountReturnsEveryClass() {
        assertEquals(20, handler.predict(batch, 50).get(0).top().size());
    }

    @Test
    void labelsNameTheClasses() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            names.add("place " + i);
        }
        MobileNetModel named = MobileNetModel.of(CONFIG, Preprocessing.keras(), Labels.of(names), model.network());
        Prediction.ClassScore best = ModelHandler.of(named).predict(batch, 1).get(0).top().get(0);
        assertEquals("place " + best.index(), best.name());
        assertEquals("labels file has 3 names but the model has 20 classes", assertThrows(IllegalArgumentException.class,
                () -> MobileNetModel.of(CONFIG, Preprocessing.keras(), Labels.of(List.of("a", "b", "c")), model.network()))
                .getMessage());
    }

    @Test
    void wrongInputShapeIsRefused() {
        INDArray nchw = Nd4j.zeros(DataType.FLOAT, 1, 3, 128, 128);
        assertEquals("input must have shape [N, 128, 128, 3], got [1, 3, 128, 128]",
                assertThrows(IllegalArgumentException.class, () -> handler.predict(nchw, 5)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> handler.predict(batch, 0));
    }

    @Test
    void concurrentCallersGetTheSameAnswersAsOneCaller() throws Exception {
        List<Prediction> expected = handler.predict(batch, 3);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<List<Prediction>>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                futures.add(pool.submit(() -> handler.predict(batch, 3)));
            }
            for (Future<List<Prediction>> f : futures) {
                List<Prediction> got = f.get();
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(expected.get(i).top(), got.get(i).top());
                    assertArrayEquals(expected.get(i).embedding(), got.get(i).embedding());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void realPhotosGoFromBytesToPredictionsInOneBatch() throws Exception {
        List<float[]> inputs = new ArrayList<>();
        for (String photo : List.of("china.jpg", "ski_chelsea.png", "grace_hopper.jpg")) {
            ModelHandler.Prepared prepared = handler.prepare(Files.readAllBytes(Path.of("../data-samples/photos", photo)));
            assertTrue(prepared.ok(), photo + ": " + prepared.failure());
            assertEquals(128 * 128 * 3, prepared.input().length);
            inputs.add(prepared.input());
        }
        ModelHandler.BatchResult batchResult = handler.run(inputs, 5);
        List<Prediction> predictions = batchResult.outcomes().stream().map(ModelHandler.Outcome::prediction).toList();
        assertEquals(3, predictions.size());
        assertTrue(batchResult.nanos() > 0);
        for (int i = 0; i < inputs.size(); i++) {
            Prediction alone = handler.run(inputs.subList(i, i + 1), 5).outcomes().get(0).prediction();
            assertArrayEquals(alone.embedding(), predictions.get(i).embedding(), 1e-5f, "image " + i + " of the batch");
        }
        assertFalse(Arrays.equals(predictions.get(0).embedding(), predictions.get(2).embedding()),
                "different photos give different embeddings");
    }

    /** Images prepared on several threads while batches run on others: the lock keeps each pass whole. */
    @Test
    void preparingAndRunningAtOnceGiveTheAnswersOfOneThread() throws Exception {
        byte[] photo = Files.readAllBytes(Path.of("../data-samples/photos", "china.jpg"));
        float[] expected = handler.run(List.of(handler.prepare(photo).input()), 3).outcomes().get(0).prediction().embedding();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                futures.add(pool.submit(() -> {
                    float[] input = handler.prepare(photo).input();
                    return handler.run(List.of(input, input), 3).outcomes().get(1).prediction().embedding();
                }));
            }
            for (Future<float[]> f : futures) {
                assertArrayEquals(expected, f.get(), 1e-5f);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badBytesAreADecodeFailureNotAnException() {
        ModelHandler.Prepared bad = handler.prepare("not an image".getBytes(StandardCharsets.UTF_8));
        assertFalse(bad.ok());
        assertEquals(ModelHandler.Stage.DECODE, bad.failure().stage());
        assertTrue(bad.failure().message().startsWith("not a JPEG, PNG"), bad.failure().message());
        assertEquals(null, bad.input());
    }

    @Test
    void anImageThatCannotBeInferredFailsAloneAndTheRestOfItsBatchIsInferred() {
        float[] good = batch.get(NDArrayIndex.point(0)).dup().data().asFloat();
        float[] wrongSize = new float[17];
        List<ModelHandler.Outcome> outcomes = handler.run(List.of(good, wrongSize, good), 2).outcomes();
        assertEquals(3, outcomes.size());
        assertEquals(ModelHandler.Stage.INFER, outcomes.get(1).failure().stage());
        assertEquals("a model input has 49152 floats, got 17", outcomes.get(1).failure().message());
        Prediction expected = handler.predict(batch, 2).get(0);
        for (int i : new int[] {0, 2}) {
            assertEquals(null, outcomes.get(i).failure());
            assertArrayEquals(expected.embedding(), outcomes.get(i).prediction().embedding(), 1e-5f);
        }
    }

    @Test
    void embeddingOnlyModelHasNoClasses() {
        MobileNetModel headless = MobileNetModel.create(CONFIG.with(c -> c.classes(0)), Preprocessing.keras(), Labels.none(), 5);
        Prediction p = ModelHandler.of(headless).predict(batch, 5).get(0);
        assertTrue(p.top().isEmpty());
        assertEquals(256, p.embedding().length);
    }
}
