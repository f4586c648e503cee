package dev.mobilenetspark.model;

import dev.mobilenetspark.model.image.Preprocessing;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchNormFoldingTest {

    @Test
    void foldedNetworkComputesTheSameFunction() {
        MobileNetConfig config = MobileNetConfig.v1().withAlpha(0.25).withResolution(128).withClasses(7);
        ComputationGraph network = MobileNetBuilder.build(config, 9);
        Nd4j.getRandom().setSeed(3);
        for (Layer layer : network.getLayers()) {
            if (layer.conf().getLayer().getLayerName().endsWith("_bn")) {
                long c = layer.getParam("gamma").length();
                layer.setParam("gamma", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
                layer.setParam("beta", Nd4j.rand(DataType.FLOAT, c).subi(0.3));
                layer.setParam("mean", Nd4j.rand(DataType.FLOAT, c).subi(0.5).muli(0.2));
                layer.setParam("var", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
            }
        }
        MobileNetModel model = MobileNetModel.of(config, Preprocessing.keras(), Labels.none(), network);
        ComputationGraph folded = BatchNormFolding.fold(config, network);
        assertNull(folded.getConfiguration().getVertices().get("conv1_bn"));

        INDArray input = Nd4j.rand(DataType.FLOAT, 3, 128, 128, 3).muli(2).subi(1);
        INDArray[] expected = model.network().output(false, input);
        INDArray[] actual = folded.output(false, input);
        assertTrue(expected[1].sumNumber().doubleValue() > 3, "embeddings should carry signal");
        assertTrue(expected[1].equalsWithEps(actual[1], 1e-4), "embeddings differ by up to "
                + Transforms.abs(expected[1].sub(actual[1])).maxNumber());
        assertTrue(expected[0].equalsWithEps(actual[0], 1e-5), "probabilities differ");

        // The facade runs the folded copy: its answers are the BatchNorm network's.
        List<Prediction> predictions = model.predict(input, 1);
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[0].getRow(i).argMax().getInt(0), predictions.get(i).top().get(0).index());
            assertTrue(expected[1].getRow(i).equalsWithEps(Nd4j.createFromArray(predictions.get(i).embedding()), 1e-4));
        }
        assertSame(folded, BatchNormFolding.fold(config.withFoldedBatchNorm(true), folded));
    }
}
