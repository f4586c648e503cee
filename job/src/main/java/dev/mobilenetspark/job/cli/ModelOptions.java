package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.file.ModelLoader;
import dev.mobilenetspark.model.image.Preprocessing;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Which network: a model file, or an architecture built fresh with seeded random weights. */
final class ModelOptions {

    @Option(names = "--model", paramLabel = "PATH",
            description = "A model file written by this project; a TensorFlow.js model (its directory, model.json or weights"
                    + " manifest); a Keras .h5 file; an ONNX MobileNet (.onnx, or a directory holding model.onnx).")
    Path model;

    @Option(names = "--arch", defaultValue = "v1",
            description = "v1, v1-fullconv, v2, v3-large or v3-small (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--alpha", defaultValue = "1.0", description = "Width multiplier, 0 < alpha <= 2 (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--resolution", defaultValue = "224", description = "Input size in pixels, at least 32 (default: ${DEFAULT-VALUE}).")
    int resolution;

    @Option(names = "--classes", defaultValue = "1000", description = "Classifier outputs; 0 for embeddings only (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--activation", defaultValue = "relu6", description = "relu6 or relu (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--padding", defaultValue = "same",
            description = "same (TensorFlow), keras or torch (PyTorch) (default: ${DEFAULT-VALUE}).")
    String padding;

    @Option(names = "--folded-batch-norm", description = "Convolutions with bias instead of BatchNorm layers.")
    boolean folded;

    @Option(names = "--seed", defaultValue = "12345", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The configuration the options name; throws IllegalArgumentException with the bad option. */
    MobileNetConfig config() {
        return new MobileNetConfig(Architecture.parse(arch), alpha, resolution, classes,
                MobileNetConfig.Activation.parse(activation), 1e-3, MobileNetConfig.Padding.parse(padding), folded, List.of());
    }

    /** Loads the model file, or builds the configured network. */
    MobileNetModel load() throws IOException {
        return load(config());
    }

    /**
     * Loads the model file, or builds {@code network} (a shape of the benchmark's) with the seeded
     * weights. A file that is no model is a bad argument.
     */
    MobileNetModel load(MobileNetConfig network) throws IOException {
        if (model != null) {
            if (!Files.isReadable(model)) {
                throw new IllegalArgumentException("cannot read model file " + model);
            }
            try {
                return ModelLoader.load(model);
            } catch (ModelFileException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        return MobileNetModel.create(network, Preprocessing.keras(), Labels.none(), seed);
    }
}
