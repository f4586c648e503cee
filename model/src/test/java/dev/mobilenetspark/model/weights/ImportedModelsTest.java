package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.file.ModelLoader;
import dev.mobilenetspark.model.image.Preprocessing;
import dev.mobilenetspark.model.image.TestImages;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading trained weights, and refusing what does not fit, naming the tensor or layer. */
class ImportedModelsTest {

    private static final Path NSFW = Path.of("..", "data-samples", "models", "mobilenet_v2_nsfw");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A copy of the nsfwjs model whose model.json has been changed by {@code edit}. */
    private Path nsfwWith(Consumer<ObjectNode> edit) throws IOException {
        try (Stream<Path> files = Files.list(NSFW)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        ObjectNode model = (ObjectNode) JSON.readTree(dir.resolve("model.json").toFile());
        edit.accept(model);
        JSON.writeValue(dir.resolve("model.json").toFile(), model);
        return dir;
    }

    private static ObjectNode weight(ObjectNode model, String name) {
        for (JsonNode w : model.get("weightsManifest").get(0).get("weights")) {
            if (w.get("name").asText().equals(name)) {
                return (ObjectNode) w;
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static String refusal(Path model) {
        return assertThrows(ModelFileException.class, () -> ModelLoader.load(model)).getMessage();
    }

    @Test
    void quantizedTensorsAreDequantizedInDoubleAndRoundedOnce() throws IOException {
        NamedWeights weights = TfjsWeights.read(NSFW.resolve("model.json"));
        JsonNode spec = JSON.readTree(NSFW.resolve("model.json").toFile()).get("weightsManifest").get(0).get("weights").get(0);
        assertEquals("Conv1/kernel", spec.get("name").asText());
        int q = Files.readAllBytes(NSFW.resolve("group1-shard1of1"))[0] & 0xFF;
        double scale = spec.get("quantization").get("scale").asDouble();
        double min = spec.get("quantization").get("min").asDouble();
        assertEquals((float) (q * scale + min), weights.get("Conv1/kernel").getFloat(0, 0, 0, 0));
        assertArrayEquals(new long[] {3, 3, 3, 32}, weights.get("Conv1/kernel").shape());
        assertEquals(266, weights.tensors().size());
    }

    @Test
    void float16AndFloat32AndInt32ShardsAreRead() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(3 * 2 + 2 * 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001);
        data.putFloat(1.5f).putFloat(-0.25f);
        data.putInt(7);
        Files.write(dir.resolve("w.bin"), data.array());
        Files.writeString(dir.resolve("x-weights_manifest.json"), "[{\"paths\": [\"w.bin\"], \"weights\": ["
                + "{\"name\": \"h\", \"shape\": [3], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}},"
                + "{\"name\": \"f\", \"shape\": [1, 2], \"dtype\": \"float32\"},"
                + "{\"name\": \"i\", \"shape\": [], \"dtype\": \"int32\"}]}]");
        NamedWeights weights = TfjsWeights.read(dir.resolve("x-weights_manifest.json"));
        assertArrayEquals(new float[] {1, -2, 0x1p-24f}, weights.get("h").toFloatVector());
        assertArrayEquals(new float[] {1.5f, -0.25f}, weights.get("f").toFloatVector());
        assertEquals(7, weights.get("i").getFloat(0));
        assertTrue(refusal(dir).endsWith("holds neither a Keras topology nor TF-Slim MobilenetV1 tensors"));
    }

    @Test
    void aCutShardIsRefusedNamingTheFirstTensorThatDoesNotFit() throws IOException {
        Path model = nsfwWith(m -> { });
        byte[] shard = Files.readAllBytes(model.resolve("group1-shard1of1"));
        Files.write(model.resolve("group1-shard1of1"), Arrays.copyOf(shard, shard.length - 3));
        assertEquals("tensor 'expanded_conv_project_BN/moving_variance' needs 16 bytes but the shards of "
                + model.resolve("model.json").toAbsolutePath() + " have only 13 left", refusal(model));
    }

    @Test
    void aMissingShardIsNamed() throws IOException {
        Path model = nsfwWith(m -> { });
        Files.delete(model.resolve("group1-shard1of1"));
        assertEquals("weights shard " + model.resolve("group1-shard1of1").toAbsolutePath() + " is missing", refusal(model));
    }

    @Test
    void aWrongChannelCountIsRefusedWithTheLayersName() throws IOException {
        Path model = nsfwWith(m -> {
            ArrayNode shape = (ArrayNode) weight(m, "Conv1/kernel").get("shape");
            shape.removeAll().add(3).add(3).add(32).add(3);
        });
        assertEquals("layer 'Conv1': Conv1/kernel has shape [3, 32, 3, 3] where "
                + "v2 alpha=1.0 resolution=224 classes=5 head=256:relu,128:relu has [32, 3, 3, 3]", refusal(model));
    }

    @Test
    void anUnknownLayerIsRefusedWithItsName() throws IOException {
        Path model = nsfwWith(m -> {
            ArrayNode layers = (ArrayNode) m.get("modelTopology").get("model_config").get("config").get("layers");
            layers.insertObject(5).put("class_name", "Conv2DTranspose").putObject("config").put("name", "mystery");
        });
        assertEquals("Keras layer 'mystery' (Conv2DTranspose) has no counterpart in v2", refusal(model));

        Path renamed = Files.createDirectories(dir.resolve("renamed"));
        dir = renamed;
        nsfwWith(m -> weight(m, "block_3_expand/kernel").put("name", "block_3_expander/kernel"));
        assertEquals("the weights have no tensor 'block_3_expand/kernel'", refusal(renamed));
    }

    @Test
    void theSidecarSetsPreprocessingAndLabelsAndRefusesUnknownKeys() throws IOException {
        MobileNetModel model = ModelLoader.load(NSFW);
        assertEquals("zero-to-one", model.preprocessing().normalization().format());
        assertEquals("Neutral", model.labels().name(2));
        Path edited = nsfwWith(m -> { });
        Files.writeString(edited.resolve(ModelSidecar.FILE_NAME), "preprocessing.normalisation=zero-to-one\n");
        assertEquals(edited.resolve(ModelSidecar.FILE_NAME) + ": unknown key 'preprocessing.normalisation'",
                refusal(edited));
    }

    @Test
    void anImportedModelRoundTripsThroughTheModelFile() throws IOException {
        MobileNetModel imported = ModelLoader.load(NSFW);
        Path file = dir.resolve("nsfw.mobilenet");
        ModelFile.write(imported, file);
        MobileNetModel loaded = ModelLoader.load(file);
        assertEquals(imported.config(), loaded.config());
        assertEquals(imported.contentHash(), loaded.contentHash());
        INDArray input = Nd4j.createFromArray(TestImages.golden("ski_coffee")).reshape(1, 224, 224, 3);
        assertArrayEquals(ModelHandler.of(imported).predict(input, 5).get(0).embedding(), ModelHandler.of(loaded).predict(input, 5).get(0).embedding());
    }

    @Test
    void aDl4jZipLoadsIntoTheNetworkItsSidecarDescribes() throws IOException {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(96).classes(3));
        MobileNetModel original = MobileNetModel.create(config, Preprocessing.keras(), Labels.none(), 11);
        Path zip = dir.resolve("fine-tuned.zip");
        ModelSerializer.writeModel(original.network(), zip.toFile(), false);
        assertEquals("a DL4J model needs a mobilenet.properties beside it with this project's configuration "
                + "(model.arch, model.alpha, ...; see the README)", refusal(zip));

        writeSidecar(config);
        MobileNetModel loaded = ModelLoader.load(zip);
        assertEquals(config, loaded.config());
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 96, 96, 3);
        assertArrayEquals(ModelHandler.of(original).predict(input, 3).get(1).embedding(), ModelHandler.of(loaded).predict(input, 3).get(1).embedding());

        Path foreign = dir.resolve("foreign.zip");
        copyZipReplacing(zip, foreign, "org.nd4j.linalg.activations.impl.ActivationIdentity", "java.lang.ProcessBuilder");
        assertEquals(foreign + " names the class java.lang.ProcessBuilder in its configuration; only DL4J's, ND4J's and "
                + "this project's classes are allowed", refusal(foreign));

        writeSidecar(config.with(c -> c.alpha(0.5)));
        assertTrue(refusal(zip).startsWith("layer 'conv1': DL4J parameter conv1/W has shape [8, 3, 3, 3] where v1 alpha=0.5"),
                refusal(zip));
    }

    @Test
    void aDl4jBatchNormStoringLog10StdIsConvertedToVariance() throws IOException {
        MobileNetConfig config = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(96).classes(0));
        String json = MobileNetBuilder.configuration(config).toJson();
        assertTrue(json.contains("\"useLogStd\" : false"), "DL4J's JSON spelling changed");
        ComputationGraph logStd = new ComputationGraph(
                ComputationGraphConfiguration.fromJson(json.replace("\"useLogStd\" : false", "\"useLogStd\" : true")));
        logStd.init();
        Nd4j.getRandom().setSeed(4);
        for (Layer layer : logStd.getLayers()) {
            if (layer.paramTable().containsKey("log10stdev")) {
                long c = layer.getParam("log10stdev").length();
                layer.setParam("log10stdev", Nd4j.rand(DataType.FLOAT, 1, c).subi(0.5).muli(0.4));
                layer.setParam("mean", Nd4j.rand(DataType.FLOAT, 1, c).subi(0.5));
            }
        }
        Path zip = dir.resolve("log-std.zip");
        ModelSerializer.writeModel(logStd, zip.toFile(), false);
        writeSidecar(config);
        MobileNetModel loaded = ModelLoader.load(zip);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 96, 96, 3);
        INDArray expected = logStd.output(false, input)[0];
        INDArray actual = Nd4j.createFromArray(ModelHandler.of(loaded).predict(input, 1).get(0).embedding());
        assertTrue(expected.getRow(0).equalsWithEps(actual, 1e-4 * Math.max(1, expected.amaxNumber().doubleValue())),
                "embeddings differ by " + expected.getRow(0).sub(actual).amaxNumber() + " at scale " + expected.amaxNumber());
    }

    /** A copy of a DL4J zip whose configuration has {@code from} replaced by {@code to}. */
    private static void copyZipReplacing(Path zip, Path copy, String from, String to) throws IOException {
        try (ZipFile in = new ZipFile(zip.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            for (ZipEntry entry : Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (entry.getName().equals(ModelSerializer.CONFIGURATION_JSON)) {
                    String json = new String(bytes, StandardCharsets.UTF_8);
                    assertTrue(json.contains("\"@class\" : \"" + from + "\""), "DL4J's JSON names its classes so");
                    bytes = json.replace(from, to).getBytes(StandardCharsets.UTF_8);
                }
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
    }

    private void writeSidecar(MobileNetConfig config) throws IOException {
        Properties props = new Properties();
        config.store(props, "model.");
        try (var out = Files.newBufferedWriter(dir.resolve(ModelSidecar.FILE_NAME))) {
            props.store(out, null);
        }
    }
}
