package dev.mobilenetspark.model;

import dev.mobilenetspark.model.file.ModelLoader;
import dev.mobilenetspark.model.image.ImageDecoder;
import dev.mobilenetspark.model.image.Preprocessor;
import dev.mobilenetspark.model.image.TestImages;
import dev.mobilenetspark.model.runtime.NativeForwardPass;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in speed options against the defaults on the sample photos with the shipped trained
 * models: bfloat16 against float32 where the CPU computes bfloat16 (elsewhere, a clear refusal),
 * and FFmpeg's decoding ({@code --decode-scaling fast}) against the JDK's. Each must keep the
 * top-1 class and stay close in probabilities and embeddings, and not be bit-equal (so it ran).
 */
class SpeedOptionsTest {

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
        double[] errors = assertAgree(ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0),
                ModelHandler.of(model, ModelHandler.Backend.NATIVE_BF16, 0), embeddingBound);
        assertTrue(Arrays.stream(errors).min().orElseThrow() > 1e-4, "bfloat16 ran: no embedding is float32's");
    }

    // Measured: the JPEGs decoded whole by both differ by 0.4 to 1.5% (nsfwjs V2) and 0.3%
    // (face-api V1); grace_hopper.jpg (512x606) decodes at 1/2 in the DCT with fast scaling for
    // both models' inputs, a smoother image than the reference's resize of the whole one: 36% and
    // 4.3%, with nsfwjs's top-1 class kept and its probabilities within 0.0014.
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mobilenet_v2_nsfw", "ssd_mobilenetv1_faceapi"})
    void ffmpegDecodingAgreesWithTheJdksOnTheSamplePhotos(String name) throws Exception {
        MobileNetModel model = ModelLoader.load(Path.of("..", "data-samples", "models", name));
        double[] errors = assertAgree(ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0, ImageDecoder.Scaling.REFERENCE),
                ModelHandler.of(model, ModelHandler.Backend.NATIVE, 0, ImageDecoder.Scaling.FAST), Double.MAX_VALUE);
        int needed = new Preprocessor(model.preprocessing(), model.config().resolution()).requiredShortSide();
        ImageDecoder reference = new ImageDecoder(model.preprocessing(), ImageDecoder.Scaling.REFERENCE);
        ImageDecoder fast = new ImageDecoder(model.preprocessing(), ImageDecoder.Scaling.FAST);
        int whole = 0;
        for (int i = 0; i < PHOTOS.size(); i++) {
            String photo = PHOTOS.get(i);
            if (!photo.endsWith(".jpg")) {
                assertEquals(0, errors[i], photo + ": not a JPEG, decoded by the JDK either way");
                continue;
            }
            assertTrue(errors[i] > 1e-4, photo + ": FFmpeg decoded it, " + errors[i]);
            byte[] bytes = TestImages.photo(photo);
            if (fast.decode(bytes, needed).width() == reference.decode(bytes, needed).width()) {
                assertTrue(errors[i] < 0.03, photo + ": decoded whole by both, embeddings differ by " + errors[i]);
                whole++;
            }
        }
        assertTrue(whole >= 3, "the JPEGs both decode whole were compared: " + whole);
    }

    /** Asserts the same top-1 class, probabilities within 0.03 and embeddings within {@code embeddingBound}; gives each photo's embedding error. */
    private static double[] assertAgree(ModelHandler reference, ModelHandler option, double embeddingBound) {
        List<ModelHandler.Outcome> expected = run(reference);
        List<ModelHandler.Outcome> actual = run(option);
        double[] errors = new double[PHOTOS.size()];
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
            errors[i] = relativeError(e.embedding(), a.embedding());
            assertTrue(errors[i] < embeddingBound, PHOTOS.get(i) + ": embedding differs by " + errors[i]);
        }
        return errors;
    }

    private static List<ModelHandler.Outcome> run(ModelHandler handler) {
        List<float[]> inputs = new ArrayList<>();
        for (String photo : PHOTOS) {
            inputs.add(handler.prepare(TestImages.photo(photo)).input());
        }
        return handler.run(inputs, 5).outcomes();
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
