package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.NetworkGraph;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The native pass's memory; that it computes what DL4J computes is BackendsTest's. */
class NativeForwardPassTest {

    /** Buffers are shared by liveness: V1, a chain, needs a few activations' worth, not all of them. */
    @Test
    void buffersAreReusedOnceTheirLastReaderHasRun() {
        int resolution = 96;
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(0.5).resolution(resolution).classes(11)
                .foldedBatchNorm(true));
        ComputationGraph graph = MobileNetBuilder.build(config, 17);
        NativeForwardPass fast = new NativeForwardPass(graph, resolution);
        int batch = 4;
        fast.output(Nd4j.rand(DataType.FLOAT, batch, resolution, resolution, 3));
        long all = graph.getConfiguration().getLayerActivationTypes(NetworkGraph.input(resolution)).values().stream()
                .mapToLong(t -> t.arrayElementsPerExample() * batch * 4).sum();
        // The three largest activations of 0.5@96, live together around the first pointwise layer:
        // 48x48x16 (stem, first depthwise) and 48x48x32; every later one fits in their memory.
        long largestThree = 4L * batch * 48 * 48 * (16 + 16 + 32);
        assertTrue(fast.bufferBytes() <= largestThree + 4L * batch * 1024,
                fast.bufferBytes() + " bytes of buffers; all activations take " + all);
        assertTrue(fast.bufferBytes() < all / 2, fast.bufferBytes() + " of " + all);
    }

    /**
     * A partition's last batch is padded to a power of two rather than planned for its own size
     * (each size keeps oneDNN primitives for good), and its answers are those of a pass planned
     * for exactly that size.
     */
    @Test
    void smallerBatchesRunPaddedToAPowerOfTwoWithTheirOwnAnswers() {
        int resolution = 64;
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(resolution).classes(5)
                .foldedBatchNorm(true));
        ComputationGraph graph = MobileNetBuilder.build(config, 23);
        NativeForwardPass pass = new NativeForwardPass(graph, resolution);
        Nd4j.getRandom().setSeed(5);
        pass.output(Nd4j.rand(DataType.FLOAT, 8, resolution, resolution, 3));
        for (int n = 1; n < 8; n++) {
            INDArray input = Nd4j.rand(DataType.FLOAT, n, resolution, resolution, 3);
            INDArray[] padded = pass.output(input);
            INDArray[] exact = new NativeForwardPass(graph, resolution).output(input);
            for (int o = 0; o < exact.length; o++) {
                assertArrayEquals(exact[o].shape(), padded[o].shape());
                assertTrue(exact[o].equalsWithEps(padded[o], 1e-4), "output " + o + " of a batch of " + n);
            }
        }
        assertEquals(Set.of(1, 2, 4, 8), pass.plannedBatchSizes());
    }
}
