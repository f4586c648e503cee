package dev.mobilenetspark.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
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
     * The network of {@code config.withFoldedBatchNorm(true)} computing what {@code source} (built
     * for {@code config}) computes at inference; a network already folded is returned as is.
     */
    public static ComputationGraph fold(MobileNetConfig config, ComputationGraph source) {
        if (config.foldedBatchNorm()) {
            return source;
        }
        ComputationGraph target = MobileNetBuilder.build(config.withFoldedBatchNorm(true), 0);
        Map<String, String> batchNormAfter = batchNormAfter(source.getConfiguration());
        for (Layer layer : target.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.numParams() == 0) {
                continue;
            }
            if (!batchNormAfter.containsKey(name)) {
                layer.setParamTable(source.getLayer(name).paramTable(false));
                continue;
            }
            Layer bn = source.getLayer(batchNormAfter.get(name));
            double eps = ((BatchNormalization) bn.conf().getLayer()).getEps();
            INDArray scale = bn.getParam("gamma").div(Transforms.sqrt(bn.getParam("var").add(eps), false));
            INDArray shift = bn.getParam("beta").sub(bn.getParam("mean").mul(scale));
            INDArray w = source.getLayer(name).getParam("W");
            long channels = scale.length();
            // DL4J keeps convolution kernels as [out, in, kH, kW] and depthwise ones as [kH, kW, in, multiplier].
            long[] perChannel = layer.conf().getLayer() instanceof DepthwiseConvolution2D
                    ? new long[] {1, 1, channels, 1}
                    : new long[] {channels, 1, 1, 1};
            layer.setParam("W", w.mul(scale.reshape(perChannel)));
            layer.setParam("b", shift.reshape(layer.getParam("b").shape()));
        }
        return target;
    }

    /** For each layer that feeds a BatchNormalization, that BatchNormalization's name. */
    private static Map<String, String> batchNormAfter(ComputationGraphConfiguration conf) {
        Map<String, String> after = new HashMap<>();
        conf.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization) {
                after.put(conf.getVertexInputs().get(name).get(0), name);
            }
        });
        return after;
    }
}
