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
 * HDF5 files ({@code .h5}, {@code .hdf5}), each with an optional {@link ModelSidecar} beside it;
 * DL4J ModelSerializer zips of networks with this project's layer names, whose sidecar
 * must give the configuration ({@link Dl4jImport}); and ONNX MobileNets as torchvision exports
 * them (a {@code .onnx} file, or a directory holding {@code model.onnx}; {@link OnnxImport}).
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
        return isKerasH5(path) || Files.isDirectory(path) || path.toString().endsWith(".json") || Dl4jImport.recognises(path)
                || OnnxImport.recognises(path);
    }

    private static boolean isKerasH5(Path path) {
        String name = path.toString();
        return name.endsWith(".h5") || name.endsWith(".hdf5");
    }

    public static MobileNetModel load(Path path) throws IOException {
        Path file = !Files.isDirectory(path) ? path
                : Files.isRegularFile(path.resolve(OnnxImport.MODEL_ONNX)) ? path.resolve(OnnxImport.MODEL_ONNX) : manifest(path);
        if (!Files.isRegularFile(file)) {
            throw new ModelFileException("no model at " + path);
        }
        ModelSidecar sidecar = ModelSidecar.read(file.toAbsolutePath().getParent());
        ImportedNetwork imported = Dl4jImport.recognises(file) ? Dl4jImport.load(file, sidecar.config())
                : OnnxImport.recognises(file) ? OnnxImport.load(file, sidecar) : named(file, sidecar);
        return MobileNetModel.of(imported.config(), sidecar.preprocessing(), sidecar.labels(), imported.network());
    }

    private static ImportedNetwork named(Path file, ModelSidecar sidecar) throws IOException {
        NamedWeights weights = isKerasH5(file) ? KerasH5Weights.read(file) : TfjsWeights.read(file);
        if (weights.topology() != null) {
            return KerasImport.load(weights, sidecar.resolution());
        }
        if (TfSlimV1Import.recognises(weights)) {
            return TfSlimV1Import.load(weights, sidecar.resolution());
        }
        throw new ModelFileException(file + " holds neither a Keras topology nor TF-Slim MobilenetV1 tensors");
    }

    /** The one TensorFlow.js manifest in directory {@code path}. */
    private static Path manifest(Path path) throws IOException {
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
