package dev.mobilenetspark.model;

import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.image.Preprocessing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A trained linear head put on a backbone: the new network computes softmax(W x + b) of the old embedding. */
class LinearHeadTest {

    private static final Labels NAMES = Labels.of(List.of("coat", "bag", "sandal"));
    private static INDArray batch;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void inputs() {
        Nd4j.getRandom().setSeed(3);
        batch = Nd4j.rand(DataType.FLOAT, 4, 96, 96, 3).muli(2).subi(1);
    }

    @Test
    void aBackboneWithADenseHeadGetsTheLinearHeadInItsPlaceAndKeepsItsEmbedding() throws Exception {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(96)
                .head(List.of(new MobileNetConfig.HeadLayer(16, MobileNetConfig.Activation.RELU)), 5));
        checkHead(MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), 7));
    }

    @Test
    void v3KeepsItsOwnHeadLayerAsTheEmbedding() throws Exception {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.architecture(Architecture.V3_SMALL).alpha(0.5)
                .resolution(96).classes(0));
        checkHead(MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), 8));
    }

    @Test
    void aHeadOfTheWrongWidthOrShapeIsRefused() {
        MobileNetModel backbone = MobileNetModel.create(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(96)),
                Preprocessing.keras(), Labels.none(), 1);
        IllegalArgumentException wrongWidth = assertThrows(IllegalArgumentException.class,
                () -> backbone.withHead(new LinearHead(NAMES, 10, new float[30], new float[3])));
        assertTrue(wrongWidth.getMessage().contains("reads 10 features"), wrongWidth.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LinearHead(NAMES, 10, new float[29], new float[3]));
        assertThrows(IllegalArgumentException.class,
                () -> new LinearHead(Labels.of(List.of("one")), 1, new float[1], new float[1]));
        assertThrows(IllegalArgumentException.class,
                () -> new LinearHead(NAMES, 1, new float[] {0, Float.NaN, 0}, new float[3]));
    }

    private static void checkHead(MobileNetModel backbone) throws Exception {
        int features = backbone.embeddingSize();
        Random random = new Random(features);
        float[] weights = new float[3 * features];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian();
        }
        float[] bias = {0.5f, -0.25f, 0.1f};
        MobileNetModel trained = backbone.withHead(new LinearHead(NAMES, features, weights, bias));

        assertEquals(3, trained.config().classes());
        assertTrue(trained.config().head().isEmpty());
        assertEquals(NAMES.toUtf8().length, trained.labels().toUtf8().length);
        ModelHandler handler = ModelHandler.of(trained, ModelHandler.Backend.NATIVE, 0);
        List<Prediction> predictions = handler.predict(batch, 3);
        List<Prediction> before = ModelHandler.of(backbone, ModelHandler.Backend.NATIVE, 0).predict(batch, 1);
        for (int i = 0; i < predictions.size(); i++) {
            float[] embedding = before.get(i).embedding();
            assertArrayEquals(embedding, predictions.get(i).embedding(), 1e-5f);
            double[] expected = softmax(weights, bias, embedding);
            for (Prediction.ClassScore score : predictions.get(i).top()) {
                assertEquals(expected[score.index()], score.probability(), 1e-4);
                assertEquals(NAMES.name(score.index()), score.name());
            }
        }

        Path file = tmp.resolve("head-" + features + ".zip");
        ModelFile.write(trained, file);
        assertEquals(trained.contentHash(), ModelFile.read(file).contentHash());
    }

    private static double[] softmax(float[] weights, float[] bias, float[] x) {
        double[] logits = new double[bias.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < bias.length; c++) {
            double z = bias[c];
            for (int f = 0; f < x.length; f++) {
                z += weights[c * x.length + f] * (double) x[f];
            }
            logits[c] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        for (int c = 0; c < logits.length; c++) {
            logits[c] = Math.exp(logits[c] - max);
            sum += logits[c];
        }
        for (int c = 0; c < logits.length; c++) {
            logits[c] /= sum;
        }
        return logits;
    }
}
