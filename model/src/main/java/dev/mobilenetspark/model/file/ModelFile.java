package dev.mobilenetspark.model.file;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.cost.CostReport;
import dev.mobilenetspark.model.image.Preprocessing;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The project's model file: one zip holding everything a job needs to reproduce a model.
 * <ul>
 *   <li>{@code mobilenet-model.properties}: format version, the {@link MobileNetConfig}
 *       ({@code model.*}), the {@link Preprocessing} ({@code preprocessing.*}), the parameter
 *       count and the content hash;</li>
 *   <li>{@code params.txt}: each DL4J parameter's name and shape, in storage order, so a file
 *       that does not fit the network its configuration builds is refused with the parameter
 *       named;</li>
 *   <li>{@code labels.txt} (optional): class names, one per line;</li>
 *   <li>{@code params.f32}: the flattened parameters, float32 little-endian.</li>
 * </ul>
 * The network is rebuilt from the configuration by {@link MobileNetBuilder} rather than from
 * DL4J's JSON, so the file stays small and states the architecture in the project's own terms.
 */
public final class ModelFile {

    static final String METADATA = "mobilenet-model.properties";
    static final String LAYOUT = "params.txt";
    static final String LABELS = "labels.txt";
    static final String PARAMS = "params.f32";
    static final String FORMAT = "mobilenet-spark-model";
    static final int VERSION = 1;

    private ModelFile() {
    }

    public static void write(MobileNetModel model, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                write(model, out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code model} to {@code out} (left open). */
    public static void write(MobileNetModel model, OutputStream out) throws IOException {
        INDArray params = model.network().params();
        Properties meta = new Properties();
        meta.setProperty("format", FORMAT);
        meta.setProperty("format-version", Integer.toString(VERSION));
        model.config().store(meta, "model.");
        model.preprocessing().store(meta, "preprocessing.");
        meta.setProperty("param-count", Long.toString(params.length()));
        meta.setProperty("content-sha256", model.contentHash());

        ZipOutputStream zip = new ZipOutputStream(out);
        zip.setLevel(Deflater.BEST_SPEED);
        entry(zip, METADATA, propertiesBytes(meta));
        entry(zip, LAYOUT, layout(model.network()).getBytes(StandardCharsets.UTF_8));
        if (!model.labels().isEmpty()) {
            entry(zip, LABELS, model.labels().toUtf8());
        }
        entry(zip, PARAMS, MobileNetModel.littleEndian(params.toFloatVector()));
        zip.finish();
    }

    public static MobileNetModel read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /** Reads a model from {@code in}; {@code source} names it in error messages. */
    public static MobileNetModel read(InputStream in, String source) throws IOException {
        Map<String, byte[]> entries = entries(in, source);
        byte[] metaBytes = entries.get(METADATA);
        if (metaBytes == null) {
            throw new ModelFileException(source + " is not a mobilenet-spark model file: it has no "
                    + METADATA + " entry (entries: " + entries.keySet() + ")");
        }
        Properties meta = new Properties();
        meta.load(new ByteArrayInputStream(metaBytes));
        if (!FORMAT.equals(meta.getProperty("format"))) {
            throw new ModelFileException(source + " is not a mobilenet-spark model file: format is '"
                    + meta.getProperty("format") + "'");
        }
        String version = meta.getProperty("format-version");
        if (!Integer.toString(VERSION).equals(version)) {
            throw new ModelFileException(source + " has model file format version " + version
                    + "; this build reads version " + VERSION);
        }
        MobileNetConfig config;
        Preprocessing preprocessing;
        Labels labels;
        try {
            config = MobileNetConfig.load(meta, "model.");
            preprocessing = Preprocessing.load(meta, "preprocessing.");
            labels = entries.containsKey(LABELS) ? Labels.parse(entries.get(LABELS), source + "!" + LABELS) : Labels.none();
            labels.checkMatches(config.classes());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(source + ": " + e.getMessage());
        }
        byte[] paramBytes = require(entries, PARAMS, source);
        long declared = Long.parseLong(meta.getProperty("param-count", "-1"));
        if (paramBytes.length != declared * Float.BYTES) {
            throw new ModelFileException(source + " is truncated or corrupt: " + PARAMS + " holds "
                    + paramBytes.length + " bytes, " + (declared * Float.BYTES) + " expected");
        }
        ComputationGraph network = new ComputationGraph(MobileNetBuilder.configuration(config));
        long expected = CostReport.of(network, config.resolution()).params();
        if (declared != expected) {
            throw new ModelFileException(source + " does not match the network its configuration ("
                    + config.summary() + ") builds: " + declared + " parameters in the file, " + expected + " built");
        }
        network.init(Nd4j.createFromArray(floats(paramBytes)).reshape(1, declared), false);
        MobileNetModel model = MobileNetModel.of(config, preprocessing, labels, network);
        if (!model.contentHash().equals(meta.getProperty("content-sha256"))) {
            throw new ModelFileException(source + " is corrupt: its content hash is " + model.contentHash()
                    + " but the file declares " + meta.getProperty("content-sha256"));
        }
        String stored = new String(require(entries, LAYOUT, source), StandardCharsets.UTF_8);
        String built = layout(network);
        if (!built.equals(stored)) {
            throw new ModelFileException(source + " does not match the network its configuration ("
                    + config.summary() + ") builds: " + firstDifference(stored, built));
        }
        return model;
    }

    /** One line per parameter, {@code layer_key [shape]}, in the order of the flattened vector. */
    private static String layout(ComputationGraph network) {
        StringBuilder sb = new StringBuilder();
        network.paramTable().forEach((key, value) -> sb.append(key).append(' ')
                .append(Arrays.toString(value.shape())).append('\n'));
        return sb.toString();
    }

    private static String firstDifference(String stored, String built) {
        String[] a = stored.split("\n");
        String[] b = built.split("\n");
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "(nothing)";
            String y = i < b.length ? b[i] : "(nothing)";
            if (!x.equals(y)) {
                return "parameter " + (i + 1) + " is '" + x + "' in the file but '" + y + "' in the network";
            }
        }
        return "the layouts differ";
    }

    private static Map<String, byte[]> entries(InputStream in, String source) throws IOException {
        byte[] file = in.readAllBytes();
        if (file.length < 4 || file[0] != 'P' || file[1] != 'K' || file[2] != 3 || file[3] != 4) {
            throw new ModelFileException(source + " is not a mobilenet-spark model file: "
                    + (file.length == 0 ? "it is empty" : "it is not a zip archive"));
        }
        if (!endsWithCentralDirectory(file)) {
            throw new ModelFileException(source + " is truncated or corrupt: the zip directory at its end is missing");
        }
        Map<String, byte[]> entries = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(file))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                entries.put(e.getName(), zip.readAllBytes());
            }
        } catch (EOFException | ZipException e) {
            throw new ModelFileException(source + " is truncated or corrupt: " + e.getMessage());
        }
        return entries;
    }

    /**
     * Entries are read in order, so a file cut after its last entry would otherwise pass: the
     * end-of-central-directory record (22 bytes, signature PK 5 6, no comment as we write it)
     * proves the copy is whole.
     */
    private static boolean endsWithCentralDirectory(byte[] file) {
        int at = file.length - 22;
        return at >= 0 && file[at] == 'P' && file[at + 1] == 'K' && file[at + 2] == 5 && file[at + 3] == 6;
    }

    private static byte[] require(Map<String, byte[]> entries, String name, String source) throws ModelFileException {
        byte[] b = entries.get(name);
        if (b == null) {
            throw new ModelFileException(source + " is truncated or corrupt: it has no " + name + " entry");
        }
        return b;
    }

    private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static byte[] propertiesBytes(Properties p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, "mobilenet-spark model");
        return out.toByteArray();
    }

    private static float[] floats(byte[] bytes) {
        float[] f = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }
}
