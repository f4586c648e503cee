package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.image.Preprocessing;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * What imported weights do not say about themselves, from {@value #FILE_NAME} beside them:
 * the preprocessing they were trained with ({@code preprocessing.*}, the keys of the model file;
 * unset keys keep {@link Preprocessing#keras()}), a labels file ({@code labels}, relative to the
 * sidecar), and the network's configuration ({@code model.*}, the keys of the model file): for
 * TensorFlow.js and Keras weights only {@code model.resolution}, where the weights do not fix it;
 * for a DL4J zip all of them, since DL4J's own configuration is not mapped back onto ours.
 * Without a sidecar: Keras preprocessing, no labels, the resolution of the topology or 224.
 *
 * @param model the {@code model.*} entries as written (empty when the sidecar sets none)
 */
public record ModelSidecar(Preprocessing preprocessing, Labels labels, Properties model) {

    public static final String FILE_NAME = "mobilenet.properties";

    /** Larger sidecars are refused: it is a handful of keys. */
    static final long MAX_BYTES = 64 * 1024;

    private static final String PREPROCESSING = "preprocessing.";
    private static final String MODEL = "model.";
    private static final Set<String> KEYS = keys();

    /** Every key the model file writes (a configuration with a head writes them all), and labels. */
    private static Set<String> keys() {
        Properties known = new Properties();
        Preprocessing.keras().store(known, PREPROCESSING);
        MobileNetConfig.v1().with(c -> c.head(List.of(new MobileNetConfig.HeadLayer(1, MobileNetConfig.Activation.RELU)), 1))
                .store(known, MODEL);
        Set<String> keys = new HashSet<>(known.stringPropertyNames());
        keys.add("labels");
        return Set.copyOf(keys);
    }

    /** Reads the sidecar in {@code dir}, or the defaults if there is none. */
    public static ModelSidecar read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return new ModelSidecar(Preprocessing.keras(), Labels.none(), new Properties());
        }
        if (Files.size(file) > MAX_BYTES) {
            throw new ModelFileException(file + " is over " + MAX_BYTES + " bytes; a sidecar holds a few keys");
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        for (String key : props.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                throw new ModelFileException(file + ": unknown key '" + key + "'");
            }
        }
        Properties model = new Properties();
        props.stringPropertyNames().stream().filter(k -> k.startsWith(MODEL))
                .forEach(k -> model.setProperty(k, props.getProperty(k).trim()));
        try {
            String labels = props.getProperty("labels");
            return new ModelSidecar(Preprocessing.load(props, PREPROCESSING),
                    labels == null ? Labels.none() : Labels.read(dir.resolve(labels.trim())), model);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file + ": " + e.getMessage());
        }
    }

    /**
     * The resolution the sidecar sets, 0 if none, for weights that fix everything else: any other
     * {@code model.*} key is refused, since the weights decide it.
     */
    int resolution() throws ModelFileException {
        for (String key : model.stringPropertyNames()) {
            if (!key.equals(MODEL + "resolution")) {
                throw new ModelFileException(FILE_NAME + ": '" + key + "' is fixed by the weights; only "
                        + MODEL + "resolution may be set beside them");
            }
        }
        try {
            return Integer.parseInt(model.getProperty(MODEL + "resolution", "0"));
        } catch (NumberFormatException e) {
            throw new ModelFileException(FILE_NAME + ": model.resolution is not a number");
        }
    }

    /** The whole configuration the sidecar sets, for weights that carry none of ours. */
    MobileNetConfig config() throws ModelFileException {
        if (model.isEmpty()) {
            throw new ModelFileException("a DL4J model needs a " + FILE_NAME + " beside it with this project's "
                    + "configuration (model.arch, model.alpha, ...; see the README)");
        }
        try {
            return MobileNetConfig.load(model, MODEL);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(FILE_NAME + ": " + e.getMessage());
        }
    }
}
