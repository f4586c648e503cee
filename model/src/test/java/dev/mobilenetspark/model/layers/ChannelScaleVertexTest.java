package dev.mobilenetspark.model.layers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Squeeze-and-excite's scaling of an NHWC map by per-image, per-channel gates. */
class ChannelScaleVertexTest {

    /** map[n, h, w, c] = 100 n + 10 (2h + w) + c, so every element is told apart. */
    private static INDArray map() {
        INDArray map = Nd4j.create(DataType.FLOAT, 2, 2, 2, 3);
        for (int n = 0; n < 2; n++) {
            for (int h = 0; h < 2; h++) {
                for (int w = 0; w < 2; w++) {
                    for (int c = 0; c < 3; c++) {
                        map.putScalar(new int[] {n, h, w, c}, 100 * n + 10 * (2 * h + w) + c);
                    }
                }
            }
        }
        return map;
    }

    private static final INDArray GATES = Nd4j.createFromArray(new float[][] {{0.5f, 1, 2}, {0, 0.25f, 1}});

    @Test
    void scalesEachChannelOfEachImageByItsGate() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("map", "gates")
                .setInputTypes(InputType.convolutional(2, 2, 3, CNN2DFormat.NHWC), InputType.feedForward(3))
                .addVertex("scale", new ChannelScaleVertex(), "map", "gates")
                .setOutputs("scale")
                .build());
        net.init();
        INDArray out = net.output(false, map(), GATES)[0];
        assertArrayEquals(new long[] {2, 2, 2, 3}, out.shape());
        // Image 0, h=1, w=0: 20, 21, 22 scaled by 0.5, 1, 2; image 1, h=1, w=1: 130, 131, 132 by 0, 0.25, 1.
        assertArrayEquals(new float[] {10, 21, 44}, out.get(point(0, 1, 0)).toFloatVector(), 0f);
        assertArrayEquals(new float[] {0, 32.75f, 132}, out.get(point(1, 1, 1)).toFloatVector(), 0f);
    }

    @Test
    void backpropagatesToTheMapAndSumsOverPositionsForTheGates() {
        ChannelScaleVertex.Impl vertex = new ChannelScaleVertex.Impl(null, "scale", 0, DataType.FLOAT);
        LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
        vertex.setInputs(new INDArray[] {map(), GATES});
        INDArray epsilon = Nd4j.ones(DataType.FLOAT, 2, 2, 2, 3);
        vertex.setEpsilon(epsilon);
        Pair<?, INDArray[]> grads = vertex.doBackward(false, noWorkspaces);
        assertArrayEquals(new float[] {0.5f, 1, 2}, grads.getSecond()[0].get(point(0, 1, 1)).toFloatVector(), 0f);
        // d/dgate[0, c] = sum over h, w of map[0, h, w, c] = 60 + 4 c.
        assertArrayEquals(new float[] {60, 64, 68}, grads.getSecond()[1].getRow(0).toFloatVector(), 0f);
        assertArrayEquals(new float[] {460, 464, 468}, grads.getSecond()[1].getRow(1).toFloatVector(), 0f);
    }

    @Test
    void refusesGatesThatDoNotMatchTheChannels() {
        InvalidInputTypeException e = assertThrows(InvalidInputTypeException.class, () -> new ChannelScaleVertex()
                .getOutputType(0, InputType.convolutional(2, 2, 3, CNN2DFormat.NHWC), InputType.feedForward(4)));
        assertEquals("channel scale: 4 gates for 3 channels", e.getMessage());
        assertThrows(InvalidInputTypeException.class, () -> new ChannelScaleVertex()
                .getOutputType(0, InputType.convolutional(2, 2, 3, CNN2DFormat.NCHW), InputType.feedForward(3)));
    }

    private static INDArrayIndex[] point(int n, int h, int w) {
        return new INDArrayIndex[] {NDArrayIndex.point(n), NDArrayIndex.point(h), NDArrayIndex.point(w), NDArrayIndex.all()};
    }
}
