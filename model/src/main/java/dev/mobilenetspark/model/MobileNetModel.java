package dev.mobilenetspark.model;

import dev.mobilenetspark.model.architecture.LayerNames;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.NetworkGraph;
import dev.mobilenetspark.model.cost.CostReport;
import dev.mobilenetspark.model.image.Preprocessing;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A MobileNet as a value: its configuration, preprocessing, labels and the network (a DL4J
 * graph built by {@link MobileNetBuilder}, with BatchNorm layers unless the configuration is
 * folded), identified by a content hash. It is what the model file stores, the cost report
 * reads and a {@link ModelHandler} runs; making one plans nothing, so a driver that only
 * serialises a model pays for nothing it does not use.
 */
public final class MobileNetModel {

    /**
     * What the output tables say about the model that wrote a row: small and serialisable, so
     * it travels to executors inside the job's settings.
     *
     * @param id the content hash
     */
    public record Identity(String id, Architecture architecture, double alpha, int resolution, boolean hasClassifier)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final MobileNetConfig config;
    private final Preprocessing preprocessing;
    private final Labels labels;
    private final ComputationGraph network;
    private final String contentHash;

    private MobileNetModel(MobileNetConfig config, Preprocessing preprocessing, Labels labels, ComputationGraph network) {
        labels.checkMatches(config.classes());
        this.config = config;
        this.preprocessing = preprocessing;
        this.labels = labels;
        this.network = network;
        this.contentHash = contentHash(config, preprocessing, labels, network.params());
    }

    /** A freshly initialised network (seeded random weights), for smoke runs and benchmarks. */
    public static MobileNetModel create(MobileNetConfig config, Preprocessing preprocessing, Labels labels, long seed) {
        return of(config, preprocessing, labels, MobileNetBuilder.build(config, seed));
    }

    /**
     * Wraps a network built by {@link MobileNetBuilder} for {@code config}, typically after its
     * weights were imported.
     */
    public static MobileNetModel of(MobileNetConfig config, Preprocessing preprocessing, Labels labels,
                                    ComputationGraph network) {
        return new MobileNetModel(config, preprocessing, labels, network);
    }

    /** The same network and preprocessing with other class names (e.g. from a user's labels file). */
    public MobileNetModel withLabels(Labels names) {
        return of(config, preprocessing, names, network);
    }

    /**
     * The same backbone (every layer up to the embedding, weights shared by copy) with {@code head}
     * as its only classifier: dense layers of an earlier head are dropped, since the new head was
     * trained on the embedding itself.
     */
    public MobileNetModel withHead(LinearHead head) {
        int features = embeddingSize();
        if (head.features() != features) {
            throw new IllegalArgumentException("the head reads " + head.features() + " features but " + config.summary()
                    + " gives embeddings of " + features);
        }
        MobileNetConfig target = config.with(c -> c.head(List.of(), head.classes()));
        ComputationGraph net = MobileNetBuilder.build(target, 0);
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (name.equals(LayerNames.PREDICTIONS)) {
                // DL4J's dense weights are [in, out]: the head's rows are its columns.
                layer.setParam("W", Nd4j.create(head.weights(), new long[] {head.classes(), features}, 'c')
                        .transpose().dup('c'));
                layer.setParam("b", Nd4j.create(head.bias(), new long[] {1, head.classes()}, 'c'));
            } else if (layer.numParams() > 0) {
                layer.setParams(network.getLayer(name).params().dup());
            }
        }
        return of(target, preprocessing, head.labels(), net);
    }

    /**
     * Length of each embedding, read from the network: the pooled last feature map for V1
     * (1024 x alpha) and V2 (1280), V3's head for V3 (1280 Large, 1024 Small, scaled by alpha).
     */
    public int embeddingSize() {
        return NetworkGraph.of(network, config.resolution()).vertex(MobileNetBuilder.embeddingVertex(config.architecture()))
                .outputSize();
    }

    public CostReport cost() {
        return CostReport.of(network, config.resolution());
    }

    public MobileNetConfig config() {
        return config;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public Labels labels() {
        return labels;
    }

    /**
     * The network as configured: what the model file stores and the cost report reads. Callers
     * must not change its weights, and must not run it from several threads at once.
     */
    public ComputationGraph network() {
        return network;
    }

    /** SHA-256 of configuration, preprocessing, labels and weights: identifies the model in outputs. */
    public String contentHash() {
        return contentHash;
    }

    public Identity identity() {
        return new Identity(contentHash, config.architecture(), config.alpha(), config.resolution(), config.hasClassifier());
    }

    /** SHA-256 over everything that determines a model's outputs. */
    private static String contentHash(MobileNetConfig config, Preprocessing preprocessing, Labels labels, INDArray params) {
        Properties p = new Properties();
        config.store(p, "model.");
        preprocessing.store(p, "preprocessing.");
        StringBuilder canonical = new StringBuilder();
        new TreeMap<>(p).forEach((k, v) -> canonical.append(k).append('=').append(v).append('\n'));
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(canonical.toString().getBytes(StandardCharsets.UTF_8));
            sha.update(labels.toUtf8());
            sha.update(littleEndian(params.toFloatVector()));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Float32 little-endian: the bytes the model file stores, so the hash is the file's. */
    public static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }
}
