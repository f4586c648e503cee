package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.ModelFileException;

import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights and topology of a Keras model saved whole as HDF5 ({@code model.save("m.h5")}):
 * the {@code model_config} attribute and the datasets {@code model_weights/LAYER/LAYER/WEIGHT:0},
 * read through deeplearning4j-modelimport's HDF5 access. Only the raw tensors are taken; the
 * network is this project's, built by {@link KerasImport} exactly as for TensorFlow.js files.
 */
final class KerasH5Weights {

    private static final String WEIGHTS = "model_weights";

    private KerasH5Weights() {
    }

    static NamedWeights read(Path file) throws IOException {
        try (Hdf5Archive archive = new Hdf5Archive(file.toString())) {
            if (!archive.hasAttribute("model_config")) {
                throw new ModelFileException(file + " is a weights-only HDF5 file (no model_config); "
                        + "save the whole Keras model (model.save) so that its topology comes along");
            }
            JsonNode topology = new ObjectMapper().readTree(archive.readAttributeAsJson("model_config"));
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            for (String layer : archive.getGroups(WEIGHTS)) {
                for (String group : archive.getGroups(WEIGHTS, layer)) {
                    for (String dataSet : archive.getDataSets(WEIGHTS, layer, group)) {
                        String name = group + "/" + dataSet.replaceFirst(":0$", "");
                        tensors.put(name, archive.readDataSet(dataSet, WEIGHTS, layer, group).castTo(DataType.FLOAT));
                    }
                }
            }
            return new NamedWeights(tensors, topology);
        } catch (UnsupportedKerasConfigurationException | RuntimeException e) {
            throw new ModelFileException(file + " cannot be read as a Keras HDF5 model: " + e.getMessage());
        }
    }
}
