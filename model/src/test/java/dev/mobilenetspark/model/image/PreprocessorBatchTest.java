package dev.mobilenetspark.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The only test class that loads ND4J's native backend (a few seconds). */
class PreprocessorBatchTest {

    @Test
    void batchIsNhwcFloatHoldingEachImageInOrder() {
        Preprocessing zeroToOne = Preprocessing.keras()
                .withNormalization(Normalization.ZERO_TO_ONE)
                .withResize(Preprocessing.Resize.BILINEAR_ALIGN_CORNERS);
        Preprocessor preprocessor = new Preprocessor(zeroToOne, 224);
        ImageDecoder decoder = new ImageDecoder(zeroToOne);
        RgbImage chelsea = decoder.decode(TestImages.photo("ski_chelsea.png"), 224);
        RgbImage coffee = decoder.decode(TestImages.photo("ski_coffee.png"), 224);

        INDArray batch = preprocessor.toBatch(List.of(chelsea, coffee, chelsea));

        assertEquals(DataType.FLOAT, batch.dataType());
        assertArrayEquals(new long[] {3, 224, 224, 3}, batch.shape());
        assertArrayEquals(TestImages.golden("ski_chelsea"), image(batch, 0), 1e-6f);
        assertArrayEquals(TestImages.golden("ski_coffee"), image(batch, 1), 1e-6f);
        assertArrayEquals(TestImages.golden("ski_chelsea"), image(batch, 2), 1e-6f);
        // NHWC: the last axis is the channel; pixel (row 0, column 1) of coffee, green.
        assertEquals(TestImages.golden("ski_coffee")[3 + 1], batch.getFloat(1, 0, 1, 1), 1e-6f);
    }

    @Test
    void emptyBatchIsRefused() {
        Preprocessor preprocessor = new Preprocessor(Preprocessing.keras(), 224);
        assertThrows(IllegalArgumentException.class, () -> preprocessor.toBatch(List.of()));
    }

    private static float[] image(INDArray batch, int n) {
        return batch.get(NDArrayIndex.point(n)).dup().data().asFloat();
    }
}
