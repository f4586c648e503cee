package dev.mobilenetspark.model.file;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.weights.ImportedModels;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a model from wherever a user keeps one: a model file of this project
 * ({@link ModelFile}), or trained weights imported into this project's builders
 * ({@link ImportedModels}: TensorFlow.js, Keras HDF5, DL4J zips).
 */
public final class ModelLoader {

    private ModelLoader() {
    }

    public static MobileNetModel load(Path path) throws IOException {
        return ImportedModels.isImport(path) ? ImportedModels.load(path) : ModelFile.read(path);
    }
}
