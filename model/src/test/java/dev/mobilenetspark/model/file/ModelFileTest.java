package dev.mobilenetspark.model.file;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.Prediction;
import dev.mobilenetspark.model.image.Normalization;
import dev.mobilenetspark.model.image.Preprocessing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFileTest {

    private static final MobileNetConfig CONFIG = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(128).classes(3));
    private static final Preprocessing PREPROCESSING = Preprocessing.keras()
            .withNormalization(Normalization.ZERO_TO_ONE).withResize(Preprocessing.Resize.BILINEAR_ALIGN_CORNERS);
    private static MobileNetModel model;
    private static byte[] saved;
    private static INDArray input;

    @BeforeAll
    static void saveOnce() throws IOException {
        model = MobileNetModel.create(CONFIG, PREPROCESSING, Labels.of(List.of("beach", "mountain", "city")), 42);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(model, out);
        saved = out.toByteArray();
        Nd4j.getRandom().setSeed(1);
        input = Nd4j.rand(DataType.FLOAT, 4, 128, 128, 3);
    }

    @Test
    void roundTripGivesIdenticalOutputsAndMetadata(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.mobilenet");
        ModelFile.write(model, file);
        MobileNetModel loaded = ModelLoader.load(file);
        assertEquals(CONFIG, loaded.config());
        assertEquals(PREPROCESSING, loaded.preprocessing());
        assertEquals("mountain", loaded.labels().name(1));
        assertEquals(model.contentHash(), loaded.contentHash());
        List<Prediction> before = ModelHandler.of(model).predict(input, 3);
        List<Prediction> after = ModelHandler.of(loaded).predict(input, 3);
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i).embedding(), after.get(i).embedding());
            assertEquals(before.get(i).top(), after.get(i).top());
        }
        assertNotEquals(0.0, Nd4j.createFromArray(before.get(0).embedding()).sumNumber().doubleValue());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v2", "v3-large", "v3-small"})
    void everyArchitectureRoundTrips(String arch, @TempDir Path dir) throws IOException {
        MobileNetConfig config = CONFIG.with(c -> c.architecture(Architecture.parse(arch)).alpha(0.5));
        MobileNetModel original = MobileNetModel.create(config, PREPROCESSING, Labels.none(), 5);
        Path file = dir.resolve(arch + ".mobilenet");
        ModelFile.write(original, file);
        MobileNetModel loaded = ModelLoader.load(file);
        assertEquals(config, loaded.config());
        assertEquals(original.contentHash(), loaded.contentHash());
        assertArrayEquals(ModelHandler.of(original).predict(input, 1).get(2).embedding(), ModelHandler.of(loaded).predict(input, 1).get(2).embedding());
    }

    @Test
    void hashDependsOnWeightsAndMetadata() {
        MobileNetModel otherSeed = MobileNetModel.create(CONFIG, PREPROCESSING, model.labels(), 43);
        MobileNetModel otherLabels = MobileNetModel.of(CONFIG, PREPROCESSING, Labels.none(), model.network());
        assertNotEquals(model.contentHash(), otherSeed.contentHash());
        assertNotEquals(model.contentHash(), otherLabels.contentHash());
        assertEquals(64, model.contentHash().length());
    }

    @Test
    void emptyAndForeignFilesAreNamedAsSuch() {
        assertEquals("m is not a mobilenet-spark model file: it is empty", readError(new byte[0]));
        assertEquals("m is not a mobilenet-spark model file: it is not a zip archive",
                readError("hello, world".getBytes(StandardCharsets.UTF_8)));
        String foreignZip = readError(zip(Map.of("configuration.json", "{}".getBytes(StandardCharsets.UTF_8))));
        assertTrue(foreignZip.startsWith("m is not a mobilenet-spark model file: it has no mobilenet-model.properties entry"), foreignZip);
    }

    @Test
    void truncatedFileIsRefused() {
        for (int length : new int[] {saved.length / 2, saved.length - 30, 100}) {
            String message = readError(Arrays.copyOf(saved, length));
            assertTrue(message.startsWith("m is truncated or corrupt"), length + ": " + message);
        }
    }

    @Test
    void alteredWeightIsCaughtByTheHash() throws IOException {
        String message = readError(rewrite(ModelFile.PARAMS, b -> {
            byte[] c = b.clone();
            c[1000] ^= 1;
            return c;
        }));
        assertTrue(message.startsWith("m is corrupt: its content hash is"), message);
    }

    @Test
    void configurationThatDoesNotFitTheWeightsIsRefused() throws IOException {
        String wider = readError(rewrite(ModelFile.METADATA, b -> new String(b, StandardCharsets.ISO_8859_1)
                .replace("model.alpha=0.25", "model.alpha=0.5").getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("m does not match the network its configuration (v1 alpha=0.5 resolution=128 classes=3) builds:"
                + " 219315 parameters in the file, 831075 built", wider);

        String folded = readError(rewrite(ModelFile.METADATA, b -> new String(b, StandardCharsets.ISO_8859_1)
                .replace("model.folded-batch-norm=false", "model.folded-batch-norm=true").getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(folded.contains("does not match the network"), folded);

        String labels = readError(rewrite(ModelFile.LABELS, b -> "one\ntwo\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("m: labels file has 2 names but the model has 3 classes", labels);
    }

    @Test
    void newerFormatVersionIsNamed() throws IOException {
        String message = readError(rewrite(ModelFile.METADATA, b -> new String(b, StandardCharsets.ISO_8859_1)
                .replace("format-version=1", "format-version=7").getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("m has model file format version 7; this build reads version 1", message);
    }

    private static String readError(byte[] bytes) {
        return assertThrows(ModelFileException.class, () -> ModelFile.read(new ByteArrayInputStream(bytes), "m")).getMessage();
    }

    private static byte[] rewrite(String entry, UnaryOperator<byte[]> change) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(saved))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] b = in.readAllBytes();
                entries.put(e.getName(), e.getName().equals(entry) ? change.apply(b) : b);
            }
        }
        return zip(entries);
    }

    private static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
