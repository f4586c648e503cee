package dev.mobilenetspark.model;

import dev.mobilenetspark.model.image.Preprocessing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native backend computes what DL4J's own layers compute, for every architecture and
 * padding: it calls native ops directly, so a change in them (or in DL4J's weight layouts)
 * fails here. The two are compared through the handler's one switch.
 */
class BackendsTest {

    @ParameterizedTest(name = "{0} alpha {1} at {2}, {3} padding")
    @CsvSource({
            "v1, 0.5, 128, same", "v1, 0.25, 129, keras", "v1-fullconv, 0.25, 96, same",
            "v2, 0.5, 128, keras", "v2, 0.35, 97, same", "v2, 0.5, 96, torch",
            "v3-large, 0.5, 128, same", "v3-large, 0.5, 129, torch", "v3-small, 0.75, 131, keras",
    })
    void nativeMatchesDl4j(String arch, double alpha, int resolution, String padding) {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.architecture(Architecture.parse(arch)).alpha(alpha)
                .resolution(resolution).padding(MobileNetConfig.Padding.parse(padding)).classes(11).foldedBatchNorm(true));
        MobileNetModel model = MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), 17);
        ModelHandler fast = ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0);
        ModelHandler reference = ModelHandler.of(model, ModelHandler.Backend.DL4J, 0);
        Nd4j.getRandom().setSeed(5);
        // A new batch size allocates; the same one again reuses buffers written by the last pass.
        for (int batch : new int[] {3, 3, 1, 3}) {
            INDArray input = Nd4j.rand(DataType.FLOAT, batch, resolution, resolution, 3).muli(2).subi(1);
            List<Prediction> expected = reference.predict(input, 11);
            List<Prediction> actual = fast.predict(input, 11);
            assertEquals(batch, actual.size());
            for (int i = 0; i < batch; i++) {
                assertClose(probabilities(expected.get(i)), probabilities(actual.get(i)), "probabilities");
                assertClose(expected.get(i).embedding(), actual.get(i).embedding(), "embedding");
                assertTrue(max(expected.get(i).embedding()) > 0, "the embedding carries signal");
            }
            List<Prediction> fromOtherLayout = fast.predict(input.dup('f').castTo(DataType.DOUBLE), 11);
            for (int i = 0; i < batch; i++) {
                assertArrayEquals(actual.get(i).embedding(), fromOtherLayout.get(i).embedding(), 1e-5f,
                        "an F-order double input is read as its values");
            }
        }
    }

    /** Probabilities by class index, from the top-k of every class. */
    private static float[] probabilities(Prediction p) {
        float[] byClass = new float[p.top().size()];
        p.top().forEach(s -> byClass[s.index()] = s.probability());
        return byClass;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = Math.max(1, max(expected));
        for (int i = 0; i < expected.length; i++) {
            double difference = Math.abs(expected[i] - actual[i]);
            assertTrue(difference <= 1e-4 * scale, what + " " + i + " differs by " + difference + " at scale " + scale);
        }
    }

    private static double max(float[] values) {
        double m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
