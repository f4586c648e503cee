package dev.mobilenetspark.model.layers;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * MobileNetV3's hard-sigmoid, {@code ReLU6(x + 3) / 6}. DL4J's own {@code HARDSIGMOID} is a
 * different function ({@code clip(0.2 x + 0.5, 0, 1)}), so weights trained with this one would
 * give wrong gates through it.
 */
public final class ActivationHardSigmoid extends BaseActivationFunction {

    private static final long serialVersionUID = 1L;

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        return Transforms.relu6(in.addi(3), false).divi(6);
    }

    /** The slope is 1/6 on (-3, 3) and 0 outside. */
    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        return new Pair<>(epsilon.mul(insideRamp(in)).divi(6), null);
    }

    /** 1 where {@code -3 < x < 3}, else 0, in {@code x}'s data type. */
    static INDArray insideRamp(INDArray x) {
        return x.gt(-3).castTo(x.dataType()).muli(x.lt(3).castTo(x.dataType()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationHardSigmoid;
    }

    @Override
    public int hashCode() {
        return ActivationHardSigmoid.class.hashCode();
    }

    @Override
    public String toString() {
        return "hardsigmoid";
    }
}
