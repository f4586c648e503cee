package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * A DL4J {@code ModelSerializer} zip of a MobileNet with this project's layer names (one built
 * by {@link MobileNetBuilder}, then trained or fine-tuned with DL4J, say): its parameters are
 * copied by layer and parameter name into a network built for the configuration the sidecar
 * declares. A BatchNorm stored in DL4J's default form, log10 of the standard deviation, is
 * converted to the variance this project's layers keep: {@code var = 10^(2 s)}. M2.1 still adds
 * epsilon to that variance at inference (the test pins this: subtracting it first was 0.6% off).
 */
final class Dl4jImport {

    private static final String LOG_STD = "log10stdev";

    /** The packages whose classes a configuration may name: DL4J's, ND4J's and this project's. */
    private static final List<String> ALLOWED_PACKAGES = List.of("org.deeplearning4j.", "org.nd4j.", "dev.mobilenetspark.");
    private static final Pattern CLASS_NAME = Pattern.compile("\"@class\"\\s*:\\s*\"([^\"]*)\"");

    private Dl4jImport() {
    }

    /** Whether {@code file} is a zip written by DL4J's ModelSerializer. */
    static boolean recognises(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return zip.getEntry(ModelSerializer.CONFIGURATION_JSON) != null && zip.getEntry(ModelSerializer.COEFFICIENTS_BIN) != null;
        } catch (IOException e) {
            return false;
        }
    }

    static ImportedNetwork load(Path file, MobileNetConfig config) throws IOException {
        checkClasses(file);
        ComputationGraph source;
        try {
            source = ModelSerializer.restoreComputationGraph(file.toFile(), false);
        } catch (RuntimeException e) {
            throw new ModelFileException(file + " is not a DL4J ComputationGraph: " + e.getMessage());
        }
        ComputationGraph network = MobileNetBuilder.build(config, 0);
        ParamAssignment assignment = new ParamAssignment(network, config.summary());
        for (Layer layer : source.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> param : layer.paramTable().entrySet()) {
                boolean logStd = param.getKey().equals(LOG_STD);
                INDArray value = logStd ? Transforms.exp(param.getValue().mul(2 * Math.log(10)), false) : param.getValue();
                assignment.set(name, logStd ? "var" : param.getKey(), value, "DL4J parameter " + name + "/" + param.getKey());
            }
        }
        assignment.apply();
        return new ImportedNetwork(config, network);
    }

    /**
     * DL4J's configuration JSON names the classes Jackson instantiates; refuse any outside the
     * allowed packages before DL4J reads it.
     */
    private static void checkClasses(Path file) throws IOException {
        String json;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            json = new String(zip.getInputStream(zip.getEntry(ModelSerializer.CONFIGURATION_JSON)).readAllBytes(),
                    StandardCharsets.UTF_8);
        }
        Matcher m = CLASS_NAME.matcher(json);
        while (m.find()) {
            String name = m.group(1);
            if (ALLOWED_PACKAGES.stream().noneMatch(name::startsWith)) {
                throw new ModelFileException(file + " names the class " + name + " in its configuration; only DL4J's, "
                        + "ND4J's and this project's classes are allowed");
            }
        }
    }
}
