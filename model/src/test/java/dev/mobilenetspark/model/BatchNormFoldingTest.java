package dev.mobilenetspark.model;

import dev.mobilenetspark.model.image.Preprocessing;
import org.deeplearning4j.nn.api.Layer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchNormFoldingTest {

    @Test
    void foldedNetworkComputesTheSameFunction() {
        MobileNetConfig config = MobileNetConfig.v1().withAlpha(0.25).withResolution(128).withClasses(7);
        MobileNetModel model = MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), 9);
        Nd4j.getRandom().setSeed(3);
        for (Layer layer : model.network().getLayers()) {
            if (layer.conf().getLayer().getLayerName().endsWith("_bn")) {
                long c = layer.getParam("gamma").length();
                layer.setParam("gamma", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
                layer.setParam("beta", Nd4j.rand(DataType.FLOAT, c).subi(0.3));
                layer.setParam("mean", Nd4j.rand(DataType.FLOAT, c).subi(0.5).muli(0.2));
                layer.setParam("var", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
            }
        }
        MobileNetModel folded = BatchNormFolding.fold(model);
        assertTrue(folded.config().foldedBatchNorm());
        assertEquals(model.cost().weights(), folded.cost().weights());

        INDArray input = Nd4j.rand(DataType.FLOAT, 3, 128, 128, 3).muli(2).subi(1);
        List<Prediction> expected = model.predict(input, 3);
        List<Prediction> actual = folded.predict(input, 3);
        for (int i = 0; i < 3; i++) {
            INDArray e = Nd4j.createFromArray(expected.get(i).embedding());
            INDArray a = Nd4j.createFromArray(actual.get(i).embedding());
            assertTrue(e.sumNumber().doubleValue() > 1, "embedding should carry signal");
            assertTrue(e.equalsWithEps(a, 1e-4), "embedding " + i + " max diff "
                    + Nd4j.math().abs(e.sub(a)).maxNumber());
            assertEquals(expected.get(i).top().get(0).index(), actual.get(i).top().get(0).index());
            assertEquals(expected.get(i).top().get(0).probability(), actual.get(i).top().get(0).probability(), 1e-5);
        }
        assertSame(folded, BatchNormFolding.fold(folded));
    }
}
