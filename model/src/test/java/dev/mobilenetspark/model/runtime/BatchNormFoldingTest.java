package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.Prediction;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.image.Preprocessing;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchNormFoldingTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v1", "v2", "v3-large", "v3-small"})
    void foldedNetworkComputesTheSameFunction(String arch) {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.architecture(Architecture.parse(arch)).alpha(0.5).resolution(128).classes(7));
        ComputationGraph network = MobileNetBuilder.build(config, 9);
        Nd4j.getRandom().setSeed(3);
        for (Layer layer : network.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                long c = layer.getParam("gamma").length();
                layer.setParam("gamma", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
                layer.setParam("beta", Nd4j.rand(DataType.FLOAT, c).subi(0.3));
                layer.setParam("mean", Nd4j.rand(DataType.FLOAT, c).subi(0.5).muli(0.2));
                layer.setParam("var", Nd4j.rand(DataType.FLOAT, c).addi(0.5));
            }
        }
        MobileNetModel model = MobileNetModel.of(config, Preprocessing.keras(), Labels.none(), network);
        ComputationGraph folded = BatchNormFolding.fold(config, network);
        assertTrue(folded.getConfiguration().getVertices().values().stream().noneMatch(v ->
                v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization));

        INDArray input = Nd4j.rand(DataType.FLOAT, 3, 128, 128, 3).muli(2).subi(1);
        INDArray[] expected = model.network().output(false, input);
        INDArray[] actual = folded.output(false, input);
        assertTrue(expected[1].sumNumber().doubleValue() > 3, "embeddings should carry signal");
        assertClose(expected[1], actual[1]);
        assertTrue(expected[0].equalsWithEps(actual[0], 1e-5), "probabilities differ");

        // The native backend runs the folded copy: its answers are the BatchNorm network's.
        List<Prediction> predictions = ModelHandler.of(model).predict(input, 1);
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[0].getRow(i).argMax().getInt(0), predictions.get(i).top().get(0).index());
            assertClose(expected[1].getRow(i), Nd4j.createFromArray(predictions.get(i).embedding()));
        }
        assertSame(folded, BatchNormFolding.fold(config.with(c -> c.foldedBatchNorm(true)), folded));
    }

    /**
     * Equal to 5e-3, relative to the largest value when that is above 1: random V3 weights with
     * random BatchNorm statistics grow the features to ~1e4, where float32 rounding alone differs
     * by up to 1.1e-3 of the largest value (seen for V3-Large on a 2-core AMD machine, once in
     * four runs: the threads sum in another order from run to run). A wrong fold differs by the
     * order of the values.
     */
    private static void assertClose(INDArray expected, INDArray actual) {
        double scale = Math.max(1, expected.amaxNumber().doubleValue());
        double difference = Transforms.abs(expected.sub(actual)).maxNumber().doubleValue();
        assertTrue(difference <= 5e-3 * scale, "embeddings differ by up to " + difference + " at scale " + scale);
    }
}
