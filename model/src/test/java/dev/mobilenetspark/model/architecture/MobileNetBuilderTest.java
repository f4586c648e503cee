package dev.mobilenetspark.model.architecture;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.cost.CostReport;
import dev.mobilenetspark.model.image.Preprocessing;

import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MobileNetBuilderTest {

    private static INDArray randomBatch(int n, int resolution) {
        Nd4j.getRandom().setSeed(7);
        return Nd4j.rand(DataType.FLOAT, n, resolution, resolution, 3).muli(2).subi(1);
    }

    @ParameterizedTest(name = "alpha {0} at {1}")
    @CsvSource({
            "1.0, 224", "1.0, 192", "1.0, 160", "1.0, 128",
            "0.75, 224", "0.75, 192", "0.75, 160", "0.75, 128",
            "0.5, 224", "0.5, 192", "0.5, 160", "0.5, 128",
            "0.25, 224", "0.25, 192", "0.25, 160", "0.25, 128",
    })
    void everyPaperShapeRunsAndYieldsProbabilitiesAndEmbeddings(double alpha, int resolution) {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(alpha).resolution(resolution).classes(10));
        ComputationGraph net = MobileNetBuilder.build(config, 1);
        INDArray[] out = net.output(false, randomBatch(2, resolution));
        assertArrayEquals(new long[] {2, 10}, out[0].shape());
        assertArrayEquals(new long[] {2, (long) (1024 * alpha)}, out[1].shape());
        assertEquals(1.0, out[0].getRow(0).sumNumber().doubleValue(), 1e-5);
        assertEquals(resolution / 32, net.feedForward(randomBatch(1, resolution), false).get("conv_pw_13").size(1));
    }

    @ParameterizedTest(name = "{0} alpha {1} at {2}")
    @CsvSource({
            "v2, 1.0, 224", "v2, 0.75, 192", "v2, 0.5, 160",
            "v3-large, 1.0, 224", "v3-large, 0.75, 192", "v3-large, 0.5, 160",
            "v3-small, 1.0, 224", "v3-small, 0.75, 192", "v3-small, 0.5, 160",
    })
    void v2AndV3RunAtThePapersShapes(String arch, double alpha, int resolution) {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.architecture(Architecture.parse(arch)).alpha(alpha).resolution(resolution).classes(10));
        ComputationGraph net = MobileNetBuilder.build(config, 1);
        INDArray[] out = net.output(false, randomBatch(2, resolution));
        int embedding = MobileNetModel.of(config, Preprocessing.keras(), Labels.none(), net)
                .embeddingSize();
        assertArrayEquals(new long[] {2, 10}, out[0].shape());
        assertArrayEquals(new long[] {2, embedding}, out[1].shape());
        assertEquals(1.0, out[0].getRow(1).sumNumber().doubleValue(), 1e-5);
        assertTrue(out[1].getRow(0).sub(out[1].getRow(1)).amaxNumber().doubleValue() > 1e-4,
                "two random images should get different embeddings");
    }

    @Test
    void v2ResidualAddsTheBlockInputToItsProjection() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V2).alpha(0.5).resolution(96)), 2);
        Map<String, INDArray> acts = net.feedForward(randomBatch(1, 96), false);
        INDArray expected = acts.get("block_1_project_BN").add(acts.get("block_2_project_BN"));
        assertTrue(expected.equalsWithEps(acts.get("block_2_add"), 1e-5));
        assertTrue(acts.get("block_16_project_BN").minNumber().doubleValue() < 0, "the projection is linear");
    }

    @Test
    void v3SqueezeExciteGatesTheDepthwiseOutput() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V3_SMALL).resolution(96)), 2);
        Map<String, INDArray> acts = net.feedForward(randomBatch(1, 96), false);
        String se = "expanded_conv_squeeze_excite_";
        INDArray map = acts.get("expanded_conv_depthwise_relu");
        INDArray pooled = map.mean(1, 2);
        assertTrue(pooled.equalsWithEps(acts.get(se + "AvgPool"), 1e-5));
        INDArray gates = acts.get(se + "Conv_1");
        assertTrue(gates.minNumber().doubleValue() >= 0 && gates.maxNumber().doubleValue() <= 1, "hard-sigmoid gates");
        INDArray expected = map.mul(gates.reshape(1, 1, 1, gates.length()));
        assertTrue(expected.equalsWithEps(acts.get(se + "Mul"), 1e-5));
    }

    @Test
    void embeddingIsTheMeanOverHeightAndWidthOfTheLastFeatureMap() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128)), 3);
        INDArray input = randomBatch(2, 128);
        Map<String, INDArray> acts = net.feedForward(input, false);
        INDArray last = acts.get("conv_pw_13_relu");
        assertArrayEquals(new long[] {2, 4, 4, 256}, last.shape());
        INDArray expected = last.mean(1, 2);
        assertTrue(expected.sumNumber().doubleValue() > 0, "ReLU6 features of a random net should not all be zero");
        assertTrue(expected.equalsWithEps(acts.get(LayerNames.POOL), 1e-5));
        assertTrue(acts.get("conv_pw_13_relu").maxNumber().doubleValue() <= 6.0);
    }

    @Test
    void layerNamesFollowKeras() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128)), 1);
        for (String name : new String[] {"conv1", "conv1_bn", "conv1_relu", "conv_dw_1", "conv_dw_1_bn", "conv_dw_1_relu",
                "conv_pw_1", "conv_pw_1_bn", "conv_pw_1_relu", "conv_dw_13", "conv_pw_13_relu", "global_pool", "predictions"}) {
            assertNotNull(net.getLayer(name), name);
        }
        assertEquals(Set.of("W"), keysOf(net, "conv_dw_1"));
        assertEquals(Set.of("gamma", "beta", "mean", "var"), keysOf(net, "conv_pw_1_bn"));
    }

    @Test
    void foldedBatchNormPutsBiasAndActivationInTheConvolution() {
        ComputationGraph net = MobileNetBuilder.build(
                MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).foldedBatchNorm(true)), 1);
        assertNull(net.getConfiguration().getVertices().get("conv1_bn"));
        assertEquals(Set.of("W", "b"), keysOf(net, "conv_dw_1"));
        INDArray emb = net.output(false, randomBatch(1, 128))[1];
        assertTrue(emb.minNumber().doubleValue() >= 0 && emb.maxNumber().doubleValue() <= 6, "ReLU6 inside the conv");
    }

    @Test
    void kerasPaddingDiffersFromSameOnlyOnOddSizes() {
        MobileNetConfig same = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(129).classes(0));
        MobileNetConfig keras = same.with(c -> c.padding(MobileNetConfig.Padding.KERAS));
        assertEquals("65x65x8", costRow(same, "conv1"));
        assertEquals("64x64x8", costRow(keras, "conv1"));
        assertNotNull(MobileNetBuilder.configuration(keras.with(c -> c.resolution(128))).getVertices().get("conv1_pad"));
        assertEquals(costRow(same.with(c -> c.resolution(128)), "conv_pw_13"),
                costRow(keras.with(c -> c.resolution(128)), "conv_pw_13"));
    }

    @Test
    void torchPaddingPadsStridedLayersOnBothSides() {
        MobileNetConfig torch = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).classes(0)
                .padding(MobileNetConfig.Padding.TORCH));
        ComputationGraph net = MobileNetBuilder.build(torch, 1);
        assertArrayEquals(new int[] {1, 1, 1, 1},
                ((ZeroPaddingLayer) net.getLayer("conv1_pad").conf().getLayer()).getPadding());
        assertEquals(costRow(torch.with(c -> c.padding(MobileNetConfig.Padding.SAME)), "conv_pw_13"), costRow(torch, "conv_pw_13"));
        // One row and column of zeros fewer before the first strided layer than Keras: other values.
        INDArray input = randomBatch(1, 128);
        INDArray keras = MobileNetBuilder.build(torch.with(c -> c.padding(MobileNetConfig.Padding.KERAS)), 1).output(false, input)[0];
        assertTrue(net.output(false, input)[0].distance2(keras) > 1e-3);
    }

    @Test
    void withoutClassesOnlyTheEmbeddingIsProduced() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).classes(0)), 1);
        INDArray[] out = net.output(false, randomBatch(1, 128));
        assertEquals(1, out.length);
        assertArrayEquals(new long[] {1, 256}, out[0].shape());
        assertFalse(net.getConfiguration().getVertices().containsKey(LayerNames.PREDICTIONS));
    }

    @Test
    void plainReluIsUnbounded() {
        ComputationGraph net = MobileNetBuilder.build(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).activation(MobileNetConfig.Activation.RELU)), 1);
        net.getLayer("conv1").getParam("W").muli(100);
        assertTrue(net.feedForward(randomBatch(1, 128), false).get("conv1_relu").maxNumber().doubleValue() > 6);
    }

    @Test
    void invalidOptionsAreRefusedWithTheirName() {
        MobileNetConfig v1 = MobileNetConfig.v1();
        assertEquals("alpha must be in (0, 2], got 0.0",
                assertThrows(IllegalArgumentException.class, () -> v1.with(c -> c.alpha(0))).getMessage());
        assertEquals("alpha must be in (0, 2], got 2.5",
                assertThrows(IllegalArgumentException.class, () -> v1.with(c -> c.alpha(2.5))).getMessage());
        assertEquals("alpha 0.01 leaves a layer with no filters",
                assertThrows(IllegalArgumentException.class, () -> v1.with(c -> c.alpha(0.01))).getMessage());
        assertEquals("resolution must be at least 32 pixels, got 31",
                assertThrows(IllegalArgumentException.class, () -> v1.with(c -> c.resolution(31))).getMessage());
        assertEquals("classes must be 0 (no classifier) or more, got -1",
                assertThrows(IllegalArgumentException.class, () -> v1.with(c -> c.classes(-1))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Architecture.parse("v9"))
                .getMessage().contains("v1, v1-fullconv, v2, v3-large, v3-small"));
    }

    private static String costRow(MobileNetConfig config, String name) {
        return CostReport.of(config).rows().stream().filter(row -> row.name().equals(name)).findFirst().orElseThrow().output();
    }

    private static Set<String> keysOf(ComputationGraph net, String layer) {
        return net.getLayer(layer).paramTable().keySet();
    }
}
