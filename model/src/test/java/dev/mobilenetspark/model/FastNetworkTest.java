package dev.mobilenetspark.model;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast path computes what DL4J's own layers compute, for every architecture and padding:
 * it calls native ops directly, so a change in them (or in DL4J's weight layouts) fails here.
 */
class FastNetworkTest {

    @ParameterizedTest(name = "{0} alpha {1} at {2}, {3} padding")
    @CsvSource({
            "v1, 0.5, 128, same", "v1, 0.25, 129, keras", "v1-fullconv, 0.25, 96, same",
            "v2, 0.5, 128, keras", "v2, 0.35, 97, same",
            "v3-large, 0.5, 128, same", "v3-small, 0.75, 131, keras",
    })
    void matchesDl4jLayers(String arch, double alpha, int resolution, String padding) {
        MobileNetConfig config = MobileNetConfig.v1().withArchitecture(Architecture.parse(arch)).withAlpha(alpha)
                .withResolution(resolution).withPadding(MobileNetConfig.Padding.parse(padding))
                .withClasses(11).withFoldedBatchNorm(true);
        ComputationGraph graph = MobileNetBuilder.build(config, 17);
        FastNetwork fast = new FastNetwork(graph, InputType.convolutional(resolution, resolution, 3, CNN2DFormat.NHWC));
        Nd4j.getRandom().setSeed(5);
        // A new batch size allocates; the same one again reuses buffers written by the last pass.
        for (int batch : new int[] {3, 3, 1, 3}) {
            INDArray input = Nd4j.rand(DataType.FLOAT, batch, resolution, resolution, 3).muli(2).subi(1);
            INDArray[] expected = graph.output(false, input);
            INDArray[] actual = fast.output(input);
            assertEquals(expected.length, actual.length);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i].shape(), actual[i].shape());
                double scale = Math.max(1, expected[i].amaxNumber().doubleValue());
                double difference = expected[i].sub(actual[i]).amaxNumber().doubleValue();
                assertTrue(difference <= 1e-4 * scale, "output " + i + " differs by " + difference + " at scale " + scale);
            }
            assertTrue(expected[1].amaxNumber().doubleValue() > 0, "the embedding carries signal");
            INDArray embedding = actual[1].dup();
            INDArray fromOtherLayouts = fast.output(input.dup('f').castTo(DataType.DOUBLE))[1];
            assertTrue(embedding.equalsWithEps(fromOtherLayouts, 1e-5), "an F-order double input is read as its values");
        }
    }

    /** Buffers are shared by liveness: V1, a chain, needs a few activations' worth, not all of them. */
    @org.junit.jupiter.api.Test
    void buffersAreReusedOnceTheirLastReaderHasRun() {
        int resolution = 96;
        MobileNetConfig config = MobileNetConfig.v1().withAlpha(0.5).withResolution(resolution).withClasses(11)
                .withFoldedBatchNorm(true);
        ComputationGraph graph = MobileNetBuilder.build(config, 17);
        FastNetwork fast = new FastNetwork(graph, InputType.convolutional(resolution, resolution, 3, CNN2DFormat.NHWC));
        int batch = 4;
        fast.output(Nd4j.rand(DataType.FLOAT, batch, resolution, resolution, 3));
        long all = graph.getConfiguration().getLayerActivationTypes(InputType.convolutional(resolution, resolution, 3,
                CNN2DFormat.NHWC)).values().stream().mapToLong(t -> t.arrayElementsPerExample() * batch * 4).sum();
        // The three largest activations of 0.5@96, live together around the first pointwise layer:
        // 48x48x16 (stem, first depthwise) and 48x48x32; every later one fits in their memory.
        long largestThree = 4L * batch * 48 * 48 * (16 + 16 + 32);
        assertTrue(fast.bufferBytes() <= largestThree + 4L * batch * 1024,
                fast.bufferBytes() + " bytes of buffers; all activations take " + all);
        assertTrue(fast.bufferBytes() < all / 2, fast.bufferBytes() + " of " + all);
    }
}
