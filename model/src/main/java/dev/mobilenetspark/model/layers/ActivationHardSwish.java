package dev.mobilenetspark.model.layers;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** MobileNetV3's h-swish, {@code x * ReLU6(x + 3) / 6}, exactly as the paper defines it. */
public final class ActivationHardSwish extends BaseActivationFunction {

    private static final long serialVersionUID = 1L;

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        INDArray gate = Transforms.relu6(in.add(3), false).divi(6);
        in.muli(gate);
        // Native memory is freed at once, not when a GC happens to collect the array.
        if (gate.closeable()) {
            gate.close();
        }
        return in;
    }

    /** The slope is 0 below -3, {@code (2x + 3) / 6} on (-3, 3), and 1 from 3 up. */
    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        INDArray slope = in.mul(2).addi(3).divi(6).muli(ActivationHardSigmoid.insideRamp(in))
                .addi(in.gte(3).castTo(in.dataType()));
        return new Pair<>(epsilon.mul(slope), null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationHardSwish;
    }

    @Override
    public int hashCode() {
        return ActivationHardSwish.class.hashCode();
    }

    @Override
    public String toString() {
        return "hardswish";
    }
}
