package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Trained weights from elsewhere as {@link MobileNetModel}s of this project's builders:
 * TensorFlow.js models (a directory holding a {@code model.json} or one
 * {@code *weights_manifest.json}, or either file named directly, with its shards) and Keras
 * HDF5 files ({@code .h5}, {@code .hdf5}), each with an optional {@link ModelSidecar} beside it.
 * A Keras topology is imported by {@link KerasImport}; a bare manifest of TF-Slim MobileNetV1
 * tensors by {@link TfSlimV1Import}.
 */
public final class ImportedModels {

    private static final String MODEL_JSON = "model.json";
    private static final String MANIFEST_SUFFIX = "weights_manifest.json";

    private ImportedModels() {
    }

    /** Whether {@code path} names weights to import rather than a model file of this project. */
    public static boolean isImport(Path path) {
        return isKerasH5(path) || Files.isDirectory(path) || path.toString().endsWith(".json");
    }

    private static boolean isKerasH5(Path path) {
        String name = path.toString();
        return name.endsWith(".h5") || name.endsWith(".hdf5");
    }

    public static MobileNetModel load(Path path) throws IOException {
        Path file = isKerasH5(path) ? path : manifest(path);
        NamedWeights weights = isKerasH5(path) ? KerasH5Weights.read(file) : TfjsWeights.read(file);
        ModelSidecar sidecar = ModelSidecar.read(file.toAbsolutePath().getParent());
        ImportedNetwork imported;
        if (weights.topology() != null) {
            imported = KerasImport.load(weights, sidecar.resolution());
        } else if (TfSlimV1Import.recognises(weights)) {
            imported = TfSlimV1Import.load(weights, sidecar.resolution());
        } else {
            throw new ModelFileException(file + " holds neither a Keras topology nor TF-Slim MobilenetV1 tensors");
        }
        return MobileNetModel.of(imported.config(), sidecar.preprocessing(), sidecar.labels(), imported.network());
    }

    private static Path manifest(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            if (!Files.isRegularFile(path)) {
                throw new ModelFileException("no model at " + path);
            }
            return path;
        }
        if (Files.isRegularFile(path.resolve(MODEL_JSON))) {
            return path.resolve(MODEL_JSON);
        }
        List<Path> manifests;
        try (Stream<Path> files = Files.list(path)) {
            manifests = files.filter(f -> f.getFileName().toString().endsWith(MANIFEST_SUFFIX)).toList();
        }
        if (manifests.size() != 1) {
            throw new ModelFileException(path + " holds " + (manifests.isEmpty() ? "no" : manifests.size())
                    + " TensorFlow.js manifests (" + MODEL_JSON + " or *" + MANIFEST_SUFFIX + "); name the one to load");
        }
        return manifests.get(0);
    }
}
