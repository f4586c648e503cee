package dev.mobilenetspark.model;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
        int r = config.resolution();
        return CostReport.of(new ComputationGraph(MobileNetBuilder.configuration(config)),
                InputType.convolutional(r, r, 3, CNN2DFormat.NHWC));
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
        CostReport cost = report(MobileNetConfig.v1().withAlpha(alpha).withResolution(resolution));
        assertEquals(millionMultAdds, Math.round(cost.multAdds() / 1e4) / 100.0, 1e-9);
        assertEquals(weights, cost.weights());
        assertEquals(kerasTotal, cost.params());
    }

    @Test
    void fullConvolutionBaselineOfTableFour() {
        CostReport cost = report(MobileNetConfig.v1().withArchitecture(Architecture.V1_FULLCONV));
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
        assertEquals("1024", rows.get(MobileNetBuilder.EMBEDDING).output());
        assertEquals(1024L * 1000 + 1000, rows.get(MobileNetBuilder.PREDICTIONS).params());
    }

    @Test
    void depthwiseSeparableCostsOneOverNPlusOneOverNineOfAFullConvolution() {
        List<CostReport.Row> separable = report(MobileNetConfig.v1()).rows();
        List<CostReport.Row> full = report(MobileNetConfig.v1().withArchitecture(Architecture.V1_FULLCONV)).rows();
        long dw = find(separable, "conv_dw_7").multAdds();
        long pw = find(separable, "conv_pw_7").multAdds();
        long conv = find(full, "conv_7").multAdds();
        assertEquals(1.0 / 512 + 1.0 / 9, (double) (dw + pw) / conv, 1e-12);
    }

    @Test
    void embeddingOnlyHasNoClassifierAndFoldedHasNoBatchNorm() {
        CostReport headless = report(MobileNetConfig.v1().withClasses(0));
        assertFalse(headless.rows().stream().anyMatch(r -> r.name().equals(MobileNetBuilder.PREDICTIONS)));
        assertEquals(568_740_352L - 1_024_000L, headless.multAdds());

        CostReport folded = report(MobileNetConfig.v1().withFoldedBatchNorm(true));
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

    @Test
    void tableEndsWithTheTotalLine() {
        String text = report(MobileNetConfig.v1().withAlpha(0.25).withResolution(128)).format();
        String[] lines = text.split("\n");
        assertTrue(lines[0].startsWith("layer"));
        assertTrue(lines[lines.length - 1].matches("TOTAL params=\\d+ weights=\\d+ mult_adds=\\d+"), lines[lines.length - 1]);
    }

    private static CostReport.Row find(List<CostReport.Row> rows, String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }
}
