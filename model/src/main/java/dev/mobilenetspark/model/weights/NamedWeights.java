package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.ModelFileException;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trained weights as they were stored, before they meet a network: tensors by name
 * ({@code layer/weight}) in TensorFlow's layout, and the Keras topology when the file has one.
 *
 * @param tensors  by name, in file order
 * @param topology the Keras model configuration; null when the file has none (a bare manifest)
 */
public record NamedWeights(Map<String, INDArray> tensors, JsonNode topology) {

    public NamedWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The tensor called {@code name}, or an error naming it. */
    public INDArray get(String name) throws ModelFileException {
        INDArray t = tensors.get(name);
        if (t == null) {
            throw new ModelFileException("the weights have no tensor '" + name + "'");
        }
        return t;
    }
}
