package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.image.Preprocessing;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;

/**
 * What imported weights do not say about themselves, from {@value #FILE_NAME} beside them:
 * the preprocessing they were trained with ({@code preprocessing.*}, the keys of the model file;
 * unset keys keep {@link Preprocessing#keras()}), a labels file ({@code labels}, relative to the
 * sidecar), and the input resolution ({@code model.resolution}) where the weights do not fix it.
 * Without a sidecar: Keras preprocessing, no labels, the resolution of the topology or 224.
 *
 * @param resolution 0 when the sidecar does not set it
 */
public record ModelSidecar(Preprocessing preprocessing, Labels labels, int resolution) {

    public static final String FILE_NAME = "mobilenet.properties";

    /** Larger sidecars are refused: it is a handful of keys. */
    static final long MAX_BYTES = 64 * 1024;

    private static final String PREPROCESSING = "preprocessing.";
    private static final Set<String> KEYS = keys();

    private static Set<String> keys() {
        Properties preprocessing = new Properties();
        Preprocessing.keras().store(preprocessing, PREPROCESSING);
        Set<String> keys = new HashSet<>(preprocessing.stringPropertyNames());
        keys.add("labels");
        keys.add("model.resolution");
        return Set.copyOf(keys);
    }

    /** Reads the sidecar in {@code dir}, or the defaults if there is none. */
    public static ModelSidecar read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return new ModelSidecar(Preprocessing.keras(), Labels.none(), 0);
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
        try {
            String labels = props.getProperty("labels");
            return new ModelSidecar(Preprocessing.load(props, PREPROCESSING),
                    labels == null ? Labels.none() : Labels.read(dir.resolve(labels.trim())),
                    Integer.parseInt(props.getProperty("model.resolution", "0").trim()));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file + ": " + e.getMessage());
        }
    }
}
