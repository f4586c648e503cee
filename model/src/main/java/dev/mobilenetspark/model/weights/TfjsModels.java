package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * TensorFlow.js models as {@link MobileNetModel}s: a directory holding a {@code model.json} or
 * one {@code *weights_manifest.json}, or either file named directly, with its shards and
 * optional {@link ModelSidecar} beside it. A Keras topology is imported by {@link KerasImport};
 * a bare manifest of TF-Slim MobileNetV1 tensors by {@link TfSlimV1Import}.
 */
public final class TfjsModels {

    private static final String MODEL_JSON = "model.json";
    private static final String MANIFEST_SUFFIX = "weights_manifest.json";

    private TfjsModels() {
    }

    /** Whether {@code path} names a TensorFlow.js model (a .json file, or a directory with one). */
    public static boolean isTfjs(Path path) {
        return path.getFileName() != null && path.getFileName().toString().endsWith(".json") || Files.isDirectory(path);
    }

    public static MobileNetModel load(Path path) throws IOException {
        Path manifest = manifest(path);
        TfjsWeights weights = TfjsWeights.read(manifest);
        ModelSidecar sidecar = ModelSidecar.read(manifest.toAbsolutePath().getParent());
        ImportedNetwork imported;
        if (weights.topology() != null) {
            imported = KerasImport.load(weights, sidecar.resolution());
        } else if (TfSlimV1Import.recognises(weights)) {
            imported = TfSlimV1Import.load(weights, sidecar.resolution());
        } else {
            throw new ModelFileException(manifest + " holds neither a Keras topology nor TF-Slim MobilenetV1 tensors");
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
