package dev.mobilenetspark.model.image;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of the bad-input corpus meets its documented outcome in decoding and preprocessing,
 * with either decoding: {@code fast} sends every JPEG to FFmpeg first, and what FFmpeg refuses
 * must still come out as the JDK's decoder has it.
 */
class BadInputsTest {

    private static final Preprocessor PREPROCESSOR = new Preprocessor(Preprocessing.keras(), 128);

    static Stream<Arguments> cases() {
        return BadInputs.all().stream().flatMap(c -> Arrays.stream(ImageDecoder.Scaling.values())
                .map(scaling -> Arguments.of(c, scaling)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void outcomeAsDocumented(BadInputs.Case input, ImageDecoder.Scaling scaling) {
        ImageDecoder decoder = new ImageDecoder(Preprocessing.keras(), scaling);
        if (input.labelled()) {
            RgbImage image = decoder.decode(input.bytes(), PREPROCESSOR.requiredShortSide());
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
                    () -> decoder.decode(input.bytes(), PREPROCESSOR.requiredShortSide()));
            assertTrue(e.getMessage().contains(input.messagePart()), e.getMessage());
        }
    }
}
