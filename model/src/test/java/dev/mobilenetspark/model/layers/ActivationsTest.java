package dev.mobilenetspark.model.layers;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** h-swish and hard-sigmoid as MobileNetV3 defines them, against hand-computed values. */
class ActivationsTest {

    private static final double[] X = {-5, -3, -1.5, 0, 1, 2.5, 3, 7};

    private static float[] apply(IActivation f, double[] x) {
        return f.getActivation(Nd4j.createFromArray(x).castTo(DataType.FLOAT), false)
                .toFloatVector();
    }

    @Test
    void hardSigmoidIsRelu6OfXPlusThreeOverSix() {
        assertArrayEquals(new float[] {0, 0, 0.25f, 0.5f, 4f / 6, 5.5f / 6, 1, 1},
                apply(new ActivationHardSigmoid(), X), 1e-6f);
    }

    @Test
    void hardSwishIsXTimesHardSigmoid() {
        assertArrayEquals(new float[] {0, 0, -0.375f, 0, 4f / 6, 2.5f * 5.5f / 6, 3, 7},
                apply(new ActivationHardSwish(), X), 1e-6f);
    }

    @Test
    void dl4jsBuiltInHardSigmoidIsAnotherFunction() {
        // clip(0.2 x + 0.5, 0, 1): 0.7 at x = 1 where MobileNetV3's gate is 2/3.
        assertEquals(0.7f, apply(Activation.HARDSIGMOID.getActivationFunction(), new double[] {1})[0], 1e-6f);
        assertEquals(4f / 6, apply(new ActivationHardSigmoid(), new double[] {1})[0], 1e-6f);
    }

    @Test
    void gradientsMatchFiniteDifferencesAwayFromTheKinks() {
        double[] x = {-4, -2, -0.5, 0.7, 2.2, 4};
        for (IActivation f : new IActivation[] {new ActivationHardSigmoid(), new ActivationHardSwish()}) {
            INDArray in = Nd4j.createFromArray(x);
            INDArray epsilon = Nd4j.createFromArray(1.0, 2.0, -1.0, 0.5, 3.0, 1.5);
            double[] gradient = f.backprop(in.dup(), epsilon).getFirst().toDoubleVector();
            for (int i = 0; i < x.length; i++) {
                double h = 1e-4;
                double up = f.getActivation(Nd4j.createFromArray(x[i] + h), false).getDouble(0);
                double down = f.getActivation(Nd4j.createFromArray(x[i] - h), false).getDouble(0);
                assertEquals(epsilon.getDouble(i) * (up - down) / (2 * h), gradient[i], 1e-6, f + " at " + x[i]);
            }
        }
    }
}
