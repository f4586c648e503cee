package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.CliRun;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MobileNetCliTest {

    @TempDir
    Path dir;

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

    /** Help, describe and argument errors start nothing of Spark's: not one Spark class is loaded, so no Spark warning. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"'--help', 0", "'describe --alpha 0.25', 0", "'infer --input /nonexistent --output out', 2",
            "'infer --input . --output out --top-k 0', 2"})
    void startsNothingOfSpark(String line, int exit) throws Exception {
        Path classes = dir.resolve("classes.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"),
                MobileNetCli.class.getName()));
        command.addAll(List.of(line.split(" ")));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(exit, process.exitValue(), output);
        assertEquals(List.of(), Files.readAllLines(classes).stream().filter(l -> l.contains(" org.apache.spark.")).toList());
        assertFalse(output.contains("WARN"), output);
    }
}
