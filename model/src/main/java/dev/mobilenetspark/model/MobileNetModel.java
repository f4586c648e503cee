package dev.mobilenetspark.model;

import dev.mobilenetspark.model.image.ImageDecoder;
import dev.mobilenetspark.model.image.Preprocessing;
import dev.mobilenetspark.model.image.Preprocessor;
import dev.mobilenetspark.model.image.RgbImage;
import dev.mobilenetspark.model.weights.ImportedModels;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one inference entry point: a network with its configuration, preprocessing and labels,
 * loaded once and reused for every batch. One forward pass yields both the top-k classes and the
 * embedding of each image. It runs the network with BatchNorm folded into the convolutions
 * ({@link BatchNormFolding}) as a plan of direct native ops ({@link FastNetwork}), both made once
 * here; the DL4J graph stays the definition that is saved, costed and compared against.
 *
 * <p>Thread-safety: safe to share. The plan reuses its buffers, so forward passes are
 * serialised: concurrent callers are served one batch at a time, each pass using ND4J's own
 * threads. Share one instance per JVM rather than one per thread: copies multiply memory and
 * oversubscribe the cores.
 */
public final class MobileNetModel {

    private final MobileNetConfig config;
    private final Preprocessing preprocessing;
    private final Labels labels;
    private final ComputationGraph network;
    private final FastNetwork inference;
    private final String contentHash;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;

    MobileNetModel(MobileNetConfig config, Preprocessing preprocessing, Labels labels,
                   ComputationGraph network, String contentHash) {
        labels.checkMatches(config.classes());
        this.config = config;
        this.preprocessing = preprocessing;
        this.labels = labels;
        this.network = network;
        int r = config.resolution();
        this.inference = new FastNetwork(BatchNormFolding.fold(config, network), InputType.convolutional(r, r, 3, CNN2DFormat.NHWC));
        this.contentHash = contentHash;
        this.decoder = new ImageDecoder(preprocessing);
        this.preprocessor = new Preprocessor(preprocessing, config.resolution());
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
        return new MobileNetModel(config, preprocessing, labels, network,
                ModelFile.contentHash(config, preprocessing, labels, network.params()));
    }

    /** The same network and preprocessing with other class names (e.g. from a user's labels file). */
    public MobileNetModel withLabels(Labels names) {
        return of(config, preprocessing, names, network);
    }

    /**
     * Reads a model: a model file written by {@link #save(Path)}, or trained weights imported
     * into this project's builders (see {@link ImportedModels}).
     */
    public static MobileNetModel load(Path path) throws IOException {
        return ImportedModels.isImport(path) ? ImportedModels.load(path) : ModelFile.read(path);
    }

    /** Writes the network and its metadata as one file (see {@link ModelFile}). */
    public void save(Path file) throws IOException {
        ModelFile.write(this, file);
    }

    /**
     * Decodes image bytes as this model's preprocessing asks (pixel budget, colour profile, enough
     * resolution for its input size).
     *
     * @throws dev.mobilenetspark.model.image.ImageDecodeException for bytes that are not a whole image
     */
    public RgbImage decode(byte[] bytes) {
        return decoder.decode(bytes, preprocessor.requiredShortSide());
    }

    /** Preprocesses decoded images into one batch and runs {@link #predict(INDArray, int)} on it. */
    public List<Prediction> predictImages(List<RgbImage> images, int topK) {
        return predict(toBatch(images), topK);
    }

    /** The model input for decoded images: [N, resolution, resolution, 3], preprocessed. */
    public INDArray toBatch(List<RgbImage> images) {
        return preprocessor.toBatch(images);
    }

    /**
     * Runs one forward pass over {@code batch}, shape [N, resolution, resolution, 3] (NHWC, as
     * {@code Preprocessor} produces), and returns one prediction per image, in order.
     */
    public List<Prediction> predict(INDArray batch, int topK) {
        long r = config.resolution();
        if (batch.rank() != 4 || batch.size(1) != r || batch.size(2) != r || batch.size(3) != 3) {
            throw new IllegalArgumentException("input must have shape [N, " + r + ", " + r + ", 3], got "
                    + Arrays.toString(batch.shape()));
        }
        if (topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        }
        int n = (int) batch.size(0);
        List<Prediction> predictions = new ArrayList<>(n);
        synchronized (inference) {
            INDArray[] outputs = inference.output(batch);
            INDArray embeddings = outputs[config.hasClassifier() ? 1 : 0];
            for (int i = 0; i < n; i++) {
                List<Prediction.ClassScore> top = config.hasClassifier()
                        ? topK(outputs[0].getRow(i).toFloatVector(), topK)
                        : List.of();
                predictions.add(new Prediction(top, embeddings.getRow(i).toFloatVector()));
            }
        }
        return predictions;
    }

    /**
     * Milliseconds per layer of the forward pass on {@code batch}, averaged over {@code runs}
     * passes, in execution order: where the time goes (the benchmark's {@code --profile}).
     */
    public Map<String, Double> profile(INDArray batch, int runs) {
        Map<String, Long> nanos;
        synchronized (inference) {
            nanos = inference.profile(batch, runs);
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        nanos.forEach((layer, total) -> ms.put(layer, total / 1e6 / runs));
        return ms;
    }

    private List<Prediction.ClassScore> topK(float[] probabilities, int k) {
        int count = Math.min(k, probabilities.length);
        int[] best = new int[count];
        int filled = 0;
        for (int c = 0; c < probabilities.length; c++) {
            float p = probabilities[c];
            if (filled == count && p <= probabilities[best[count - 1]]) {
                continue;
            }
            int pos = filled == count ? count - 1 : filled++;
            while (pos > 0 && probabilities[best[pos - 1]] < p) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = c;
        }
        List<Prediction.ClassScore> top = new ArrayList<>(count);
        for (int index : best) {
            top.add(new Prediction.ClassScore(index, labels.name(index), probabilities[index]));
        }
        return top;
    }

    /**
     * Length of each embedding, read from the network: the pooled last feature map for V1
     * (1024 x alpha) and V2 (1280), V3's head for V3 (1280 Large, 1024 Small, scaled by alpha).
     */
    public int embeddingSize() {
        int r = config.resolution();
        InputType pooled = network.getConfiguration()
                .getLayerActivationTypes(InputType.convolutional(r, r, 3, CNN2DFormat.NHWC))
                .get(MobileNetBuilder.embeddingVertex(config.architecture()));
        return (int) ((InputType.InputTypeFeedForward) pooled).getSize();
    }

    public CostReport cost() {
        int r = config.resolution();
        return CostReport.of(network, InputType.convolutional(r, r, 3, CNN2DFormat.NHWC));
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
     * The network as configured (with BatchNorm layers unless the configuration is folded): what
     * the model file stores and the cost report reads. Callers that run it themselves must not do
     * so from several threads, and must not change its weights: the folded copy that serves
     * {@link #predict} was made when this model was.
     */
    public ComputationGraph network() {
        return network;
    }

    /** SHA-256 of configuration, preprocessing, labels and weights: identifies the model in outputs. */
    public String contentHash() {
        return contentHash;
    }
}
