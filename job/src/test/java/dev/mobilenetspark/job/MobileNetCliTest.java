package dev.mobilenetspark.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MobileNetCliTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void describeEndsWithTheTotalLine() {
        CliRun r = run("describe", "--arch", "v1", "--alpha", "1.0", "--resolution", "224");
        assertEquals(0, r.exit(), r.err());
        assertEquals("TOTAL params=4253864 weights=4209088 mult_adds=568740352", r.lastLine());
        assertTrue(r.out().contains("conv_dw_13_bn"));
    }

    @Test
    void describeFullConvolutionAndEmbeddingOnly() {
        assertEquals("TOTAL params=29306056 weights=29281120 mult_adds=4867293184",
                run("describe", "--arch", "v1-fullconv").lastLine());
        // 0.25 MobileNet-224 less its 256 x 1000 classifier and 1000 biases
        assertEquals("TOTAL params=218544 weights=207600 mult_adds=40774272",
                run("describe", "--alpha", "0.25", "--classes", "0").lastLine());
    }

    @Test
    void describeEveryArchitecture() {
        assertEquals("TOTAL params=3538984 weights=3469760 mult_adds=300774272", run("describe", "--arch", "v2").lastLine());
        assertEquals("TOTAL params=5507432 weights=5451272 mult_adds=216589760", run("describe", "--arch", "v3-large").lastLine());
        assertEquals("TOTAL params=2554968 weights=2525832 mult_adds=56510400", run("describe", "--arch", "v3-small").lastLine());
    }

    @Test
    void badArgumentsExitWithTwoAndOneLine() {
        CliRun alpha = run("describe", "--alpha", "-1");
        assertEquals(2, alpha.exit());
        assertEquals("mobilenet-spark: alpha must be in (0, 2], got -1.0", alpha.err().strip());
        CliRun arch = run("describe", "--arch", "v7");
        assertEquals(2, arch.exit());
        assertEquals("mobilenet-spark: unknown architecture 'v7': expected one of v1, v1-fullconv, v2, v3-large, v3-small", arch.err().strip());
        CliRun model = run("describe", "--model", "/nonexistent/model.zip");
        assertEquals(2, model.exit());
        assertEquals("mobilenet-spark: cannot read model file /nonexistent/model.zip", model.err().strip());
        assertEquals(2, run("describe", "--resolution", "big").exit());
        assertEquals(2, run().exit());
    }
}
