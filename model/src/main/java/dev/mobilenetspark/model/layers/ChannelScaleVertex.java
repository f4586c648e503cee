package dev.mobilenetspark.model.layers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;

/**
 * Squeeze-and-excite's last step: scales each channel of an NHWC feature map [N, H, W, C] by
 * its image's gate [N, C]. DL4J has no vertex that broadcasts [N, C] over [N, H, W, C]
 * (ElementWiseVertex broadcasts by trailing dimensions only). Inputs, in order: the feature
 * map, then the gates.
 */
public final class ChannelScaleVertex extends GraphVertex {

    private static final long serialVersionUID = 1L;

    @Override
    public ChannelScaleVertex clone() {
        return new ChannelScaleVertex();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelScaleVertex;
    }

    @Override
    public int hashCode() {
        return ChannelScaleVertex.class.hashCode();
    }

    @Override
    public long numParams(boolean backprop) {
        return 0;
    }

    @Override
    public int minVertexInputs() {
        return 2;
    }

    @Override
    public int maxVertexInputs() {
        return 2;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new Impl(graph, name, idx, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... inputs) {
        if (inputs.length != 2
                || !(inputs[0] instanceof InputType.InputTypeConvolutional map)
                || !(inputs[1] instanceof InputType.InputTypeFeedForward gates)) {
            throw new InvalidInputTypeException("channel scale takes a feature map and a vector of gates");
        }
        if (map.getFormat() != CNN2DFormat.NHWC) {
            throw new InvalidInputTypeException("channel scale needs an NHWC feature map, got " + map.getFormat());
        }
        if (gates.getSize() != map.getChannels()) {
            throw new InvalidInputTypeException("channel scale: " + gates.getSize() + " gates for "
                    + map.getChannels() + " channels");
        }
        return map;
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputs) {
        InputType out = getOutputType(-1, inputs);
        return new LayerMemoryReport.Builder(null, ChannelScaleVertex.class, inputs[0], out)
                .standardMemory(0, 0)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(0, 0)
                .build();
    }

    @Override
    public String toString() {
        return "ChannelScaleVertex()";
    }

    /** The vertex inside a running graph. */
    static final class Impl extends BaseGraphVertex {

        private static final long serialVersionUID = 1L;

        /** The batch and channel dimensions of an NHWC map, along which the gates lie. */
        private static final int[] GATE_DIMENSIONS = {0, 3};

        Impl(ComputationGraph graph, String name, int index, DataType dataType) {
            super(graph, name, index, null, null, dataType);
        }

        @Override
        public boolean hasLayer() {
            return false;
        }

        @Override
        public Layer getLayer() {
            return null;
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoForward()) {
                throw new IllegalStateException("channel scale " + vertexName + ": inputs not set");
            }
            INDArray map = inputs[0];
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, map.dataType(), map.shape(), 'c');
            return Broadcast.mul(map, inputs[1], out, GATE_DIMENSIONS);
        }

        /** d/dmap = epsilon scaled by the gates; d/dgate = epsilon * map summed over H and W. */
        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoBackward()) {
                throw new IllegalStateException("channel scale " + vertexName + ": errors not set");
            }
            INDArray map = inputs[0];
            INDArray mapGrad = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, map.dataType(), map.shape(), 'c');
            Broadcast.mul(epsilon, inputs[1], mapGrad, GATE_DIMENSIONS);
            INDArray gateGrad = workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, epsilon.mul(map).sum(1, 2));
            return new Pair<>(null, new INDArray[] {mapGrad, gateGrad});
        }

        @Override
        public void setBackpropGradientsViewArray(INDArray view) {
            if (view != null) {
                throw new IllegalStateException("channel scale has no parameters");
            }
        }

        @Override
        public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] masks, MaskState state, int minibatchSize) {
            return new Pair<>(null, state);
        }

        @Override
        public String toString() {
            return "ChannelScaleVertex(" + vertexName + ")";
        }
    }
}
