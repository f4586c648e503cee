package dev.mobilenetspark.model;

import dev.mobilenetspark.model.file.ModelLoader;
import dev.mobilenetspark.model.image.TestImages;
import dev.mobilenetspark.model.runtime.NativeForwardPass;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bfloat16 against float32 on the sample photos with the shipped trained models: where the CPU
 * computes bfloat16, the same top-1 class and probabilities and embeddings within bfloat16's
 * precision (and not bit-equal, so bfloat16 did run); elsewhere, a clear refusal.
 */
class PrecisionTest {

    private static final List<String> PHOTOS = List.of("china.jpg", "flower.jpg", "grace_hopper.jpg", "ski_astronaut.png",
            "ski_chelsea.png", "ski_coffee.png", "ski_rocket.jpg");

    // Measured on an AMD EPYC with AVX512-BF16: nsfwjs V2 7/7 top-1, probabilities within 0.012,
    // embeddings within 3.0% (relative L2); face-api V1 embeddings within 1.4%.
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mobilenet_v2_nsfw, 0.05", "ssd_mobilenetv1_faceapi, 0.03"})
    void bf16AgreesWithFp32OnTheSamplePhotos(String name, double embeddingBound) throws Exception {
        MobileNetModel model = ModelLoader.load(Path.of("..", "data-samples", "models", name));
        if (!NativeForwardPass.supportsBf16()) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> ModelHandler.of(model, ModelHandler.Backend.NATIVE_BF16, 0));
            assertTrue(refused.getMessage().startsWith("bfloat16 needs a CPU with AVX512-BF16 or AMX"), refused.getMessage());
            return;
        }
        ModelHandler fp32 = ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0);
        ModelHandler bf16 = ModelHandler.of(model, ModelHandler.Backend.NATIVE_BF16, 0);
        List<float[]> inputs = new ArrayList<>();
        for (String photo : PHOTOS) {
            inputs.add(fp32.prepare(TestImages.photo(photo)).input());
        }
        List<ModelHandler.Outcome> expected = fp32.run(inputs, 5).outcomes();
        List<ModelHandler.Outcome> actual = bf16.run(inputs, 5).outcomes();
        double smallest = Double.MAX_VALUE;
        for (int i = 0; i < PHOTOS.size(); i++) {
            Prediction e = expected.get(i).prediction();
            Prediction a = actual.get(i).prediction();
            if (!e.top().isEmpty()) {
                assertEquals(e.top().get(0).index(), a.top().get(0).index(), PHOTOS.get(i));
                for (Prediction.ClassScore score : e.top()) {
                    float other = a.top().stream().filter(s -> s.index() == score.index()).findFirst()
                            .map(Prediction.ClassScore::probability).orElse(0f);
                    assertEquals(score.probability(), other, 0.03, PHOTOS.get(i) + " class " + score.name());
                }
            }
            double error = relativeError(e.embedding(), a.embedding());
            assertTrue(error < embeddingBound, PHOTOS.get(i) + ": embedding differs by " + error);
            smallest = Math.min(smallest, error);
        }
        assertTrue(smallest > 1e-4, "bfloat16 ran: its embeddings are not float32's, " + smallest);
    }

    private static double relativeError(float[] expected, float[] actual) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += (expected[i] - actual[i]) * (double) (expected[i] - actual[i]);
            norm += expected[i] * (double) expected[i];
        }
        return Math.sqrt(difference / norm);
    }
}
