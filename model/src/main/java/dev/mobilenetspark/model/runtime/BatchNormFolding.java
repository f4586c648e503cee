package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.NetworkGraph;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.Map;

/**
 * Folds each inference-mode BatchNorm into the convolution before it:
 * {@code W' = W * s} and {@code b' = beta - mean * s} per output channel, with
 * {@code s = gamma / sqrt(var + eps)}. The folded network (the builder's conv + bias form)
 * computes the same function with a third of the layers and no BatchNorm passes.
 */
public final class BatchNormFolding {

    private BatchNormFolding() {
    }

    /**
     * The network of {@code config.with(c -> c.foldedBatchNorm(true))} computing what {@code source} (built
     * for {@code config}) computes at inference; a network already folded is returned as is.
     */
    public static ComputationGraph fold(MobileNetConfig config, ComputationGraph source) {
        if (config.foldedBatchNorm()) {
            return source;
        }
        MobileNetConfig folded = config.with(c -> c.foldedBatchNorm(true));
        ComputationGraph target = MobileNetBuilder.build(folded, 0);
        Map<String, NetworkGraph.Vertex> batchNormAfter = new HashMap<>();
        for (NetworkGraph.Vertex v : NetworkGraph.of(source, config.resolution()).vertices()) {
            if (v.kind() == NetworkGraph.Kind.BATCH_NORM) {
                batchNormAfter.put(v.inputs().get(0), v);
            }
        }
        for (NetworkGraph.Vertex v : NetworkGraph.of(target, config.resolution()).vertices()) {
            Layer layer = v.layer() == null ? null : target.getLayer(v.name());
            if (layer == null || layer.numParams() == 0) {
                continue;
            }
            NetworkGraph.Vertex norm = batchNormAfter.get(v.name());
            if (norm == null) {
                layer.setParamTable(source.getLayer(v.name()).paramTable(false));
                continue;
            }
            Layer bn = source.getLayer(norm.name());
            double eps = ((BatchNormalization) norm.layer()).getEps();
            INDArray scale = bn.getParam("gamma").div(Transforms.sqrt(bn.getParam("var").add(eps), false));
            INDArray shift = bn.getParam("beta").sub(bn.getParam("mean").mul(scale));
            INDArray w = source.getLayer(v.name()).getParam("W");
            long channels = scale.length();
            // DL4J keeps convolution kernels as [out, in, kH, kW] and depthwise ones as [kH, kW, in, multiplier].
            long[] perChannel = v.kind() == NetworkGraph.Kind.DEPTHWISE_CONVOLUTION
                    ? new long[] {1, 1, channels, 1}
                    : new long[] {channels, 1, 1, 1};
            layer.setParam("W", w.mul(scale.reshape(perChannel)));
            layer.setParam("b", shift.reshape(layer.getParam("b").shape()));
        }
        return target;
    }
}
