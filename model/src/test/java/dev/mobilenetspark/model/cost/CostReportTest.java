package dev.mobilenetspark.model.cost;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.architecture.LayerNames;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.V1Blocks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost figures of the MobileNet paper (Tables 1, 4, 6, 7, 8) and Keras' parameter totals. */
class CostReportTest {

    private static CostReport report(MobileNetConfig config) {
        return CostReport.of(config);
    }

    @Test
    void v1At224MatchesThePaperAndKerasExactly() {
        CostReport cost = report(MobileNetConfig.v1());
        assertEquals("TOTAL params=4253864 weights=4209088 mult_adds=568740352", cost.totalLine());
    }

    @ParameterizedTest(name = "alpha {0} at {1}: {2}M mult-adds, {3} weights, Keras total {4}")
    @CsvSource({
            "1.0,  224, 568.74, 4209088, 4253864",
            "0.75, 224, 325.40, 2568144, 2601976",
            "0.5,  224, 149.50, 1319648, 1342536",
            "0.25, 224,  41.03,  463600,  475544",
            "1.0,  192, 418.12, 4209088, 4253864",
            "1.0,  160, 290.68, 4209088, 4253864",
            "1.0,  128, 186.40, 4209088, 4253864",
            "0.5,  160,  76.52, 1319648, 1342536",
    })
    void paperTablesSixSevenEight(double alpha, int resolution, double millionMultAdds, long weights, long kerasTotal) {
        CostReport cost = report(MobileNetConfig.v1().with(c -> c.alpha(alpha).resolution(resolution)));
        assertEquals(millionMultAdds, Math.round(cost.multAdds() / 1e4) / 100.0, 1e-9);
        assertEquals(weights, cost.weights());
        assertEquals(kerasTotal, cost.params());
    }

    @Test
    void fullConvolutionBaselineOfTableFour() {
        CostReport cost = report(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V1_FULLCONV)));
        assertEquals(4_867_293_184L, cost.multAdds());
        assertEquals(29_281_120L, cost.weights());
    }

    @Test
    void rowsFollowTableOne() {
        Map<String, CostReport.Row> rows = report(MobileNetConfig.v1()).rows().stream()
                .collect(Collectors.toMap(CostReport.Row::name, Function.identity()));
        assertEquals("112x112x32", rows.get("conv1").output());
        assertEquals(3L * 3 * 3 * 32 * 112 * 112, rows.get("conv1").multAdds());
        assertEquals("112x112x64", rows.get("conv_pw_1").output());
        assertEquals("56x56x64", rows.get("conv_dw_2").output());
        assertEquals(3L * 3 * 64 * 56 * 56, rows.get("conv_dw_2").multAdds());
        assertEquals("14x14x512", rows.get("conv_pw_11").output());
        assertEquals("7x7x1024", rows.get("conv_pw_13_relu").output());
        assertEquals(4L * 1024, rows.get("conv_pw_13_bn").params());
        assertEquals(0, rows.get("conv_pw_13_bn").multAdds());
        assertEquals("1024", rows.get(LayerNames.POOL).output());
        assertEquals(1024L * 1000 + 1000, rows.get(LayerNames.PREDICTIONS).params());
    }

    @Test
    void depthwiseSeparableCostsOneOverNPlusOneOverNineOfAFullConvolution() {
        List<CostReport.Row> separable = report(MobileNetConfig.v1()).rows();
        List<CostReport.Row> full = report(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V1_FULLCONV))).rows();
        long dw = find(separable, "conv_dw_7").multAdds();
        long pw = find(separable, "conv_pw_7").multAdds();
        long conv = find(full, "conv_7").multAdds();
        assertEquals(1.0 / 512 + 1.0 / 9, (double) (dw + pw) / conv, 1e-12);
    }

    @Test
    void embeddingOnlyHasNoClassifierAndFoldedHasNoBatchNorm() {
        CostReport headless = report(MobileNetConfig.v1().with(c -> c.classes(0)));
        assertFalse(headless.rows().stream().anyMatch(r -> r.name().equals(LayerNames.PREDICTIONS)));
        assertEquals(568_740_352L - 1_024_000L, headless.multAdds());

        CostReport folded = report(MobileNetConfig.v1().with(c -> c.foldedBatchNorm(true)));
        assertTrue(folded.rows().stream().noneMatch(r -> r.name().endsWith("_bn") || r.name().endsWith("_relu")));
        assertEquals(4_209_088L, folded.weights());
        assertEquals(568_740_352L, folded.multAdds());
        assertEquals(convolutionBiases(), folded.params() - folded.weights() - 1000);
    }

    /** The stem's bias, then per block a depthwise bias of its input's width and a pointwise one of its output's. */
    private static long convolutionBiases() {
        long sum = V1Blocks.STEM.filters();
        int in = V1Blocks.STEM.filters();
        for (V1Blocks.Block b : V1Blocks.BODY) {
            sum += in + b.filters();
            in = b.filters();
        }
        return sum;
    }

    @ParameterizedTest(name = "{0}: {1} params with BatchNorm statistics, {3}M mult-adds within 3% of the paper's {4}M")
    @CsvSource({
            // Keras MobileNetV2; torchvision's V3 (5,483,032 and 2,542,856) plus BatchNorm running statistics.
            "v2,       3538984, 1000, 300.77, 300",
            "v3-large, 5507432, 1000, 216.59, 219",
            "v3-small, 2554968, 1000,  56.51,  56",
            // Without the classifier: V2's backbone as in seed 004.
            "v2,       2257984,    0, 299.49, 300",
    })
    void referenceImplementationsAndPaperCosts(String arch, long params, int classes, double millionMultAdds,
                                               double paperMillionMultAdds) {
        CostReport cost = report(MobileNetConfig.v1().with(c -> c.architecture(Architecture.parse(arch)).classes(classes)));
        assertEquals(params, cost.params());
        assertEquals(millionMultAdds, Math.round(cost.multAdds() / 1e4) / 100.0, 1e-9);
        assertEquals(1.0, cost.multAdds() / 1e6 / paperMillionMultAdds, 0.03);
    }

    @Test
    void v2RowsFollowTableTwoAndKerasNames() {
        Map<String, CostReport.Row> rows = rowsByName(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V2)));
        assertEquals("112x112x32", rows.get("Conv1").output());
        assertEquals("112x112x16", rows.get("expanded_conv_project_BN").output());
        assertEquals("112x112x96", rows.get("block_1_expand_relu").output());
        assertEquals("56x56x96", rows.get("block_1_depthwise_relu").output());
        assertEquals("56x56x144", rows.get("block_2_expand_relu").output());
        assertEquals("56x56x24", rows.get("block_2_add").output());
        assertFalse(rows.containsKey("block_1_add"), "stride 2 has no residual");
        assertFalse(rows.containsKey("block_13_add"), "160 channels after 96 have no residual");
        assertEquals("7x7x320", rows.get("block_16_project_BN").output());
        assertEquals("7x7x1280", rows.get("out_relu").output());
        assertEquals(4L * 1280, rows.get("Conv_1_bn").params());
        assertEquals("1280", rows.get(LayerNames.POOL).output());
    }

    @Test
    void v3RowsHaveSqueezeExciteAndTheHead() {
        Map<String, CostReport.Row> rows = rowsByName(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V3_LARGE)));
        assertFalse(rows.containsKey("expanded_conv_expand"), "expansion 16 equals the input: no expansion conv");
        assertEquals("28x28x72", rows.get("expanded_conv_3_depthwise_relu").output());
        assertEquals("dense relu", rows.get("expanded_conv_3_squeeze_excite_Conv").kind());
        assertEquals(72L * 24 + 24, rows.get("expanded_conv_3_squeeze_excite_Conv").params());
        assertEquals(24L * 72 + 72, rows.get("expanded_conv_3_squeeze_excite_Conv_1").params());
        assertEquals("dense hardsigmoid", rows.get("expanded_conv_3_squeeze_excite_Conv_1").kind());
        assertEquals("28x28x72", rows.get("expanded_conv_3_squeeze_excite_Mul").output());
        assertEquals("dwconv 5x5/2", rows.get("expanded_conv_12_depthwise").kind());
        assertEquals("7x7x960", rows.get("Conv_1_hard_swish").output());
        assertEquals(960L * 1280 + 1280, rows.get(LayerNames.V3_HEAD).params());
        assertEquals("dense hardswish", rows.get(LayerNames.V3_HEAD).kind());

        Map<String, CostReport.Row> small = rowsByName(MobileNetConfig.v1().with(c -> c.architecture(Architecture.V3_SMALL)));
        assertEquals("7x7x576", small.get("Conv_1_hard_swish").output());
        assertFalse(small.keySet().stream().anyMatch(n -> n.startsWith("Conv_1_squeeze")), "no SE on the last conv");
        assertEquals("1024", small.get(LayerNames.V3_HEAD).output());
    }

    @ParameterizedTest(name = "{0} alpha {1}: {2}-float embedding, last map {3}")
    @CsvSource({
            "v2,       0.5,  1280, 7x7x1280",
            "v2,       0.75, 1280, 7x7x1280",
            "v2,       1.4,  1792, 7x7x1792",
            "v3-large, 0.75,  960, 7x7x720",
            "v3-large, 0.5,   640, 7x7x480",
            "v3-small, 0.75,  768, 7x7x432",
            "v3-small, 0.5,   512, 7x7x288",
    })
    void widthMultiplierRoundsToEightAndKeepsV2sLastWidth(String arch, double alpha, String embedding, String lastMap) {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.architecture(Architecture.parse(arch)).alpha(alpha));
        List<CostReport.Row> rows = report(config).rows();
        assertEquals(embedding, find(rows, MobileNetBuilder.embeddingVertex(config.architecture())).output());
        assertEquals(lastMap, find(rows, config.architecture() == Architecture.V2 ? "out_relu" : "Conv_1_hard_swish").output());
    }

    @Test
    void tableEndsWithTheTotalLine() {
        String text = report(MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128))).format();
        String[] lines = text.split("\n");
        assertTrue(lines[0].startsWith("layer"));
        assertTrue(lines[lines.length - 1].matches("TOTAL params=\\d+ weights=\\d+ mult_adds=\\d+"), lines[lines.length - 1]);
    }

    private static Map<String, CostReport.Row> rowsByName(MobileNetConfig config) {
        return report(config).rows().stream().collect(Collectors.toMap(CostReport.Row::name, Function.identity()));
    }

    private static CostReport.Row find(List<CostReport.Row> rows, String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }
}
