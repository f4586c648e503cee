package dev.mobilenetspark.model.image;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every case of the bad-input corpus meets its documented outcome in decoding and preprocessing. */
class BadInputsTest {

    private static final ImageDecoder DECODER = new ImageDecoder(Preprocessing.keras());
    private static final Preprocessor PREPROCESSOR = new Preprocessor(Preprocessing.keras(), 128);

    static List<BadInputs.Case> cases() {
        return BadInputs.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outcomeAsDocumented(BadInputs.Case input) {
        if (input.labelled()) {
            RgbImage image = DECODER.decode(input.bytes(), PREPROCESSOR.requiredShortSide());
            float[] pixels = new float[PREPROCESSOR.floatsPerImage()];
            PREPROCESSOR.preprocess(image, pixels, 0);
            // Keras' normalisation maps 0..255 onto [-1, 1] and no 8-bit sample onto 0 exactly.
            boolean anyFilled = false;
            for (float v : pixels) {
                assertTrue(v >= -1 && v <= 1, v + " is outside [-1, 1]");
                anyFilled |= v != 0;
            }
            assertTrue(anyFilled, "every float was written");
        } else {
            ImageDecodeException e = assertThrows(ImageDecodeException.class,
                    () -> DECODER.decode(input.bytes(), PREPROCESSOR.requiredShortSide()));
            assertTrue(e.getMessage().contains(input.messagePart()), e.getMessage());
        }
    }
}
