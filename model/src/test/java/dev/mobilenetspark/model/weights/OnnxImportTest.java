package dev.mobilenetspark.model.weights;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.Prediction;
import dev.mobilenetspark.model.image.Normalization;
import dev.mobilenetspark.model.image.Preprocessing;
import dev.mobilenetspark.model.image.TestImages;

import onnx.Onnx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX MobileNets, as torchvision exports them, imported into this project's builder and run by
 * its native pass, against ONNX Runtime running the same files on the same inputs: the sample
 * photos' tensors (model/src/test/onnx/make_models.py wrote the files and measured their
 * BatchNorm statistics on those photos).
 */
class OnnxImportTest {

    private static final Path MODELS = Path.of("src", "test", "resources", "onnx");
    private static final List<String> PHOTOS = List.of("china", "flower", "grace_hopper", "ski_astronaut", "ski_chelsea",
            "ski_coffee", "ski_rocket");
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};
    private static final double TOLERANCE = 1e-4;

    private static OrtEnvironment ort;

    @BeforeAll
    static void startOrt() {
        ort = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void stopOrt() {
        ort.close();
    }

    /** The photos, normalised as torchvision's weights expect, NHWC. */
    private static INDArray photos() {
        INDArray batch = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, PHOTOS.size(), 224, 224, 3);
        for (int i = 0; i < PHOTOS.size(); i++) {
            batch.get(NDArrayIndex.point(i)).assign(Nd4j.createFromArray(TestImages.golden(PHOTOS.get(i))).reshape(224, 224, 3));
        }
        for (int c = 0; c < 3; c++) {
            batch.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c)).subi(MEAN[c]).divi(STD[c]);
        }
        return batch;
    }

    /** ONNX Runtime's logits and embedding (the last Gemm's input, made a graph output) for an NHWC batch. */
    private static float[][][] onnxRuntime(Path file, INDArray nhwc) throws IOException, OrtException {
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
        List<Onnx.NodeProto> nodes = model.getGraph().getNodeList();
        Onnx.NodeProto lastGemm = nodes.stream().filter(n -> n.getOpType().equals("Gemm")).reduce((a, b) -> b).orElseThrow();
        Onnx.ModelProto.Builder exposed = model.toBuilder();
        exposed.getGraphBuilder().addOutput(Onnx.ValueInfoProto.newBuilder().setName(lastGemm.getInput(0))
                .setType(Onnx.TypeProto.newBuilder().setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                        .setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
        INDArray nchw = nhwc.permute(0, 3, 1, 2).dup('c');
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = ort.createSession(exposed.build().toByteArray(), options);
                 OnnxTensor input = OnnxTensor.createTensor(ort, FloatBuffer.wrap(nchw.data().asFloat()), nchw.shape());
                 OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
                return new float[][][] {(float[][]) result.get(0).getValue(), (float[][]) result.get(1).getValue()};
            }
        }
    }

    private static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "mobilenet_v1_0.25_bn.onnx, v1, 0.25", "mobilenet_v1_0.25_folded.onnx, v1, 0.25",
            "mobilenet_v2_0.35_bn.onnx, v2, 0.35", "mobilenet_v2_0.35_folded.onnx, v2, 0.35",
            "mobilenet_v3_large_0.35_bn.onnx, v3-large, 0.35", "mobilenet_v3_large_0.35_folded.onnx, v3-large, 0.35",
            "mobilenet_v3_small_0.5_bn.onnx, v3-small, 0.5", "mobilenet_v3_small_0.5_folded.onnx, v3-small, 0.5",
    })
    void equalsOnnxRuntime(String name, String arch, double alpha) throws Exception {
        Path file = MODELS.resolve(name);
        MobileNetModel model = ImportedModels.load(file);
        assertEquals(Architecture.parse(arch), model.config().architecture());
        assertEquals(alpha, model.config().alpha());
        assertEquals(224, model.config().resolution());
        assertEquals(name.endsWith("_folded.onnx"), model.config().foldedBatchNorm());

        INDArray input = photos();
        float[][][] expected = onnxRuntime(file, input);
        int classes = expected[0][0].length;
        List<Prediction> ours = ModelHandler.of(model).predict(input, classes);
        Set<Integer> topClasses = new HashSet<>();
        double worstProbability = 0;
        double worstEmbedding = 0;
        for (int i = 0; i < PHOTOS.size(); i++) {
            float[] probabilities = softmax(expected[0][i]);
            for (Prediction.ClassScore score : ours.get(i).top()) {
                worstProbability = Math.max(worstProbability, Math.abs(score.probability() - probabilities[score.index()]));
            }
            float[] embedding = ours.get(i).embedding();
            assertEquals(expected[1][i].length, embedding.length, "embedding width");
            for (int j = 0; j < embedding.length; j++) {
                worstEmbedding = Math.max(worstEmbedding, Math.abs(embedding[j] - expected[1][i][j]));
            }
            topClasses.add(ours.get(i).top().get(0).index());
        }
        System.out.printf("ONNX %s: largest difference to ONNX Runtime: probability %.2e, embedding %.2e%n", name,
                worstProbability, worstEmbedding);
        assertTrue(worstProbability <= TOLERANCE, "probabilities differ by " + worstProbability);
        assertTrue(worstEmbedding <= TOLERANCE, "embeddings differ by " + worstEmbedding);
        assertTrue(topClasses.size() >= 4, "the photos' top classes " + topClasses + ": the test model tells them apart");
    }

    @Test
    void aDirectoryWithModelOnnxTakesItsSidecarsPreprocessingAndLabels(@TempDir Path dir) throws IOException {
        Files.copy(MODELS.resolve("mobilenet_v3_small_0.5_folded.onnx"), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("labels.txt"), String.join("\n", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"));
        Files.writeString(dir.resolve(ModelSidecar.FILE_NAME), String.join("\n", "preprocessing.resize=antialias",
                "preprocessing.center-crop=0.875", "preprocessing.normalization=imagenet", "labels=labels.txt", ""));
        MobileNetModel model = dev.mobilenetspark.model.file.ModelLoader.load(dir);
        assertEquals(Preprocessing.Resize.ANTIALIAS, model.preprocessing().resize());
        assertEquals(0.875, model.preprocessing().centerCrop());
        assertEquals(Normalization.IMAGENET, model.preprocessing().normalization());
        assertEquals("c3", model.labels().name(3));
        assertEquals(Architecture.V3_SMALL, model.config().architecture());
    }

    /** {@code file} with its graph changed by {@code change}, written under {@code dir}. */
    private static Path edited(Path dir, String file, java.util.function.Consumer<Onnx.GraphProto.Builder> change)
            throws IOException {
        Onnx.ModelProto.Builder model = Onnx.ModelProto.parseFrom(Files.readAllBytes(MODELS.resolve(file))).toBuilder();
        change.accept(model.getGraphBuilder());
        return Files.write(dir.resolve(file), model.build().toByteArray());
    }

    @Test
    void anOperatorNoMobileNetHasIsRefusedByItsNode(@TempDir Path dir) throws IOException {
        Path file = edited(dir, "mobilenet_v3_small_0.5_folded.onnx", g -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                if (g.getNode(i).getOpType().equals("Relu")) {
                    g.setNode(i, g.getNode(i).toBuilder().setOpType("LeakyRelu"));
                    return;
                }
            }
        });
        ModelFileException e = assertThrows(ModelFileException.class, () -> ImportedModels.load(file));
        assertTrue(e.getMessage().contains("node '/features/features.1/block/block.0/block.0.2/Relu' (LeakyRelu) does not fit"),
                e.getMessage());
    }

    @Test
    void aLayerOfAnotherShapeIsRefusedByItsNode(@TempDir Path dir) throws IOException {
        // Drop V2's last inverted residual block: its expansion, depthwise and projection units.
        Path file = edited(dir, "mobilenet_v2_0.35_bn.onnx", g -> {
            for (int i = g.getNodeCount() - 1; i >= 0; i--) {
                if (g.getNode(i).getName().startsWith("/features/features.17/")) {
                    g.removeNode(i);
                }
            }
            for (int i = 0; i < g.getNodeCount(); i++) {
                if (g.getNode(i).getName().equals("/features/features.18/features.18.0/Conv")) {
                    g.setNode(i, g.getNode(i).toBuilder().setInput(0,
                            "/features/features.16/Add_output_0"));
                }
            }
        });
        ModelFileException e = assertThrows(ModelFileException.class, () -> ImportedModels.load(file));
        assertTrue(e.getMessage().contains("node '/features/features.18/features.18.0/Conv' (Conv) does not fit"), e.getMessage());
    }

    @Test
    void aNormalisationBakedIntoTheGraphIsRefused(@TempDir Path dir) throws IOException {
        // x * 2 before the first convolution: weights alone would not show it.
        Path file = edited(dir, "mobilenet_v2_0.35_folded.onnx", g -> {
            g.addInitializer(Onnx.TensorProto.newBuilder().setName("two").setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                    .addFloatData(2));
            g.addNode(0, Onnx.NodeProto.newBuilder().setName("scale").setOpType("Mul").addInput("input").addInput("two")
                    .addOutput("scaled"));
            Onnx.NodeProto first = g.getNode(1);
            g.setNode(1, first.toBuilder().setInput(0, "scaled"));
        });
        ModelFileException e = assertThrows(ModelFileException.class, () -> ImportedModels.load(file));
        assertTrue(e.getMessage().contains("node 'scale' (Mul) does not fit: it takes the constant 'two'"), e.getMessage());
    }

    @Test
    void identityNodesInACircleAreRefusedNotFollowedForever(@TempDir Path dir) throws IOException {
        Path file = edited(dir, "mobilenet_v2_0.35_folded.onnx", g -> {
            g.addNode(0, Onnx.NodeProto.newBuilder().setName("a").setOpType("Identity").addInput("b").addOutput("a"));
            g.addNode(0, Onnx.NodeProto.newBuilder().setName("b").setOpType("Identity").addInput("a").addOutput("b"));
            for (int i = 0; i < g.getNodeCount(); i++) {
                if (g.getNode(i).getOpType().equals("Conv")) {
                    g.setNode(i, g.getNode(i).toBuilder().setInput(1, "a"));
                    return;
                }
            }
        });
        ModelFileException e = assertThrows(ModelFileException.class, () -> ImportedModels.load(file));
        assertTrue(e.getMessage().contains("Identity nodes that lead to each other"), e.getMessage());
    }

    @Test
    void externalDataOutsideTheModelsDirectoryIsRefused(@TempDir Path dir) throws IOException {
        Path secret = Files.write(dir.resolve("secret.bin"), new byte[1 << 20]);
        Path models = Files.createDirectories(dir.resolve("models"));
        Path file = edited(models, "mobilenet_v3_small_0.5_folded.onnx", g -> {
            Onnx.TensorProto first = g.getInitializer(0);
            g.setInitializer(0, first.toBuilder().clearRawData()
                    .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("../" + secret.getFileName())));
        });
        ModelFileException e = assertThrows(ModelFileException.class, () -> ImportedModels.load(file));
        assertTrue(e.getMessage().contains("names external data '../secret.bin' that is not a file under the model's directory"),
                e.getMessage());
        // Nor through a link inside the directory.
        Files.createSymbolicLink(models.resolve("inside.bin"), secret);
        Path linked = edited(models, "mobilenet_v3_small_0.5_folded.onnx", g -> g.setInitializer(0, g.getInitializer(0).toBuilder()
                .clearRawData().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("inside.bin"))));
        e = assertThrows(ModelFileException.class, () -> ImportedModels.load(linked));
        assertTrue(e.getMessage().contains("names external data 'inside.bin' that is not a file under the model's directory"),
                e.getMessage());
    }
}
