package dev.mobilenetspark.model;

import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.image.ImageDecoder;
import dev.mobilenetspark.model.image.Preprocessor;
import dev.mobilenetspark.model.runtime.BatchNormFolding;
import dev.mobilenetspark.model.runtime.NativeForwardPass;
import dev.mobilenetspark.model.runtime.NativeThreads;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs one model for a whole JVM, in the shape of Apache Beam's RunInference ModelHandler: made
 * once (from a model file's bytes on an executor), {@link #prepare} turns image bytes into a model
 * input or a typed failure, {@link #run} turns a batch of inputs into one prediction or failure
 * per image. Everything native stays in here: the batch's off-heap memory, the network planned
 * for the chosen {@link Backend}, the native thread limit, and the one lock around a pass.
 *
 * <p>Thread-safe, and meant to be shared: one per JVM. A forward pass uses every core it is
 * given (its OpenMP threads wait for each other at every layer), so an image decoded on another
 * thread at the same time stalls all of them: measured, passes ran at half their speed beside
 * decoding. So {@link #prepare} (and a batch's assembly) runs on any number of threads at once
 * and a pass runs alone, waiting for the images being prepared (a few milliseconds each) and
 * holding new ones back; all handlers of a JVM share that one lock.
 */
public final class ModelHandler {

    /** How forward passes are computed. */
    public enum Backend {
        /** BatchNorm folded into the convolutions, run as planned oneDNN steps on NHWC buffers. */
        NATIVE,
        /**
         * {@link #NATIVE} with full and 1x1 convolutions in bfloat16 (float32 accumulation and
         * outputs); only on CPUs with AVX512-BF16 or AMX. Its cost on the sample photos is in the
         * README.
         */
        NATIVE_BF16,
        /** DL4J's own {@code ComputationGraph.output} on the network as configured: the reference. */
        DL4J;

        /** The precisions {@link #ofPrecision} takes. */
        public static final List<String> PRECISIONS = List.of("fp32", "bf16");

        /**
         * The native backend computing in {@code precision}, {@code fp32} or {@code bf16}; bf16
         * refused here where this machine's CPU has no bfloat16 arithmetic.
         */
        public static Backend ofPrecision(String precision) {
            return switch (precision) {
                case "fp32" -> NATIVE;
                case "bf16" -> {
                    if (!NativeForwardPass.supportsBf16()) {
                        throw new IllegalArgumentException("precision bf16 needs a CPU with AVX512-BF16 or AMX, which this"
                                + " machine's has not; use fp32");
                    }
                    yield NATIVE_BF16;
                }
                default -> throw new IllegalArgumentException("precision must be one of " + PRECISIONS + ", got '"
                        + precision + "'");
            };
        }
    }

    /** Where an image failed; {@link #READ} is the caller's, for bytes it could not fetch. */
    public enum Stage {
        READ, DECODE, PREPROCESS, INFER;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why an image got no prediction. */
    public record Failure(Stage stage, String message) {

        public static Failure of(Stage stage, Exception e) {
            return new Failure(stage, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        }
    }

    /**
     * One image made ready for {@link #run}: its model input (NHWC floats) or why it could not
     * be made; {@code nanos} is the work it took, waiting for the cores left out.
     */
    public record Prepared(float[] input, Failure failure, long nanos) {

        public boolean ok() {
            return failure == null;
        }
    }

    /** What became of one image of a batch: a prediction or a failure. */
    public record Outcome(Prediction prediction, Failure failure) { }

    /** One outcome per image of a batch, in order; {@code nanos} is the inference work. */
    public record BatchResult(List<Outcome> outcomes, long nanos) { }

    /**
     * Shared by every handler of the JVM, as the cores and the native thread limit are: a model
     * replaced while tasks of the old one still run must not oversubscribe them either.
     */
    private static final ReentrantReadWriteLock CORES = new ReentrantReadWriteLock();

    private final MobileNetModel model;
    private final Backend backend;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final Function<INDArray, INDArray[]> forward;
    private final NativeForwardPass pass;

    private ModelHandler(MobileNetModel model, Backend backend, int threads, ImageDecoder.Scaling scaling) {
        this.model = model;
        this.backend = backend;
        MobileNetConfig config = model.config();
        this.decoder = new ImageDecoder(model.preprocessing(), scaling);
        this.preprocessor = new Preprocessor(model.preprocessing(), config.resolution());
        if (threads > 0) {
            NativeThreads.limit(threads);
        }
        if (backend != Backend.DL4J) {
            pass = new NativeForwardPass(BatchNormFolding.fold(config, model.network()), config.resolution(),
                    backend == Backend.NATIVE_BF16);
            forward = pass::output;
        } else {
            pass = null;
            ComputationGraph network = model.network();
            forward = input -> network.output(false, input);
        }
    }

    /**
     * A handler for {@code model}.
     *
     * @param threads native compute threads for this JVM, a limit that stays for the JVM; 0 leaves
     *                the limit as it is (one thread per core unless a handler set another)
     * @param scaling how far {@link #prepare} shrinks large JPEGs while decoding them
     */
    public static ModelHandler of(MobileNetModel model, Backend backend, int threads, ImageDecoder.Scaling scaling) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be 0 (one per core) or more, got " + threads);
        }
        return new ModelHandler(model, backend, threads, scaling);
    }

    /** As {@link #of(MobileNetModel, Backend, int, ImageDecoder.Scaling)} with the reference decoding. */
    public static ModelHandler of(MobileNetModel model, Backend backend, int threads) {
        return of(model, backend, threads, ImageDecoder.Scaling.REFERENCE);
    }

    /** A handler for {@code model} on the native backend with the native default of threads. */
    public static ModelHandler of(MobileNetModel model) {
        return of(model, Backend.NATIVE, 0);
    }

    /** A handler for the model file in {@code modelFile} (as {@link ModelFile} writes it); {@code source} names it in errors. */
    public static ModelHandler load(byte[] modelFile, String source, Backend backend, int threads,
                                    ImageDecoder.Scaling scaling) throws IOException {
        return of(ModelFile.read(new ByteArrayInputStream(modelFile), source), backend, threads, scaling);
    }

    public MobileNetModel model() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Decodes and preprocesses one image as this model's preprocessing asks (pixel budget,
     * colour profile, crop and resize to its input). Never throws for bad bytes: a failure
     * carries its stage, {@link Stage#DECODE} or {@link Stage#PREPROCESS}.
     */
    public Prepared prepare(byte[] bytes) {
        return shared(() -> {
            long start = System.nanoTime();
            Stage stage = Stage.DECODE;
            try {
                var image = decoder.decode(bytes, preprocessor.requiredShortSide());
                stage = Stage.PREPROCESS;
                float[] input = new float[preprocessor.floatsPerImage()];
                preprocessor.preprocess(image, input, 0);
                return new Prepared(input, null, System.nanoTime() - start);
            } catch (RuntimeException e) {
                return new Prepared(null, Failure.of(stage, e), System.nanoTime() - start);
            }
        });
    }

    /**
     * One forward pass over {@code inputs} (each {@link Prepared#input()}); if it fails, each
     * image alone, so that one image that cannot be inferred fails by itself, with
     * {@link Stage#INFER}. Returns the top {@code topK} classes and the embedding of each.
     */
    public BatchResult run(List<float[]> inputs, int topK) {
        long[] nanos = {0};
        List<Outcome> outcomes = new ArrayList<>(inputs.size());
        try {
            predict(inputs, topK, nanos).forEach(p -> outcomes.add(new Outcome(p, null)));
        } catch (RuntimeException batchFailed) {
            for (float[] input : inputs) {
                try {
                    outcomes.add(new Outcome(predict(List.of(input), topK, nanos).get(0), null));
                } catch (RuntimeException e) {
                    outcomes.add(new Outcome(null, Failure.of(Stage.INFER, e)));
                }
            }
        }
        return new BatchResult(outcomes, nanos[0]);
    }

    /**
     * One forward pass over {@code batch}, shape [N, resolution, resolution, 3] (NHWC, as
     * {@link #prepare} makes each image), one prediction per image in order; fails as a whole.
     */
    public List<Prediction> predict(INDArray batch, int topK) {
        return predict(batch, topK, new long[1]);
    }

    /** As {@link #predict(INDArray, int)}, adding the pass's time on the cores to {@code nanos[0]}. */
    private List<Prediction> predict(INDArray batch, int topK, long[] nanos) {
        long r = model.config().resolution();
        if (batch.rank() != 4 || batch.size(1) != r || batch.size(2) != r || batch.size(3) != 3) {
            throw new IllegalArgumentException("input must have shape [N, " + r + ", " + r + ", 3], got "
                    + Arrays.toString(batch.shape()));
        }
        if (topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        }
        return exclusive(nanos, () -> {
            INDArray[] outputs = forward.apply(batch);
            try {
                return extract(outputs, (int) batch.size(0), topK);
            } finally {
                if (backend == Backend.DL4J) {
                    // DL4J's outputs are new arrays each pass; the native pass's are its own buffers.
                    Arrays.stream(outputs).filter(INDArray::closeable).forEach(INDArray::close);
                }
            }
        });
    }

    /**
     * Milliseconds per layer of the native forward pass on {@code batch}, averaged over
     * {@code runs} passes, in execution order: where the time goes (the benchmark's {@code --profile}).
     */
    public Map<String, Double> profile(INDArray batch, int runs) {
        if (pass == null) {
            throw new IllegalStateException("only the native backend is profiled");
        }
        Map<String, Long> nanos = exclusive(new long[1], () -> pass.profile(batch, runs));
        Map<String, Double> ms = new LinkedHashMap<>();
        nanos.forEach((layer, total) -> ms.put(layer, total / 1e6 / runs));
        return ms;
    }

    private List<Prediction> predict(List<float[]> inputs, int topK, long[] nanos) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one image");
        }
        // Freed when the pass is done, not left to the GC: off-heap buffers pile up while the
        // heap is quiet, and the executor's RSS grows with the input.
        try (INDArray batch = shared(() -> assemble(inputs))) {
            return predict(batch, topK, nanos);
        }
    }

    /** The batch's model input: each image's floats, in order, in one native NHWC array. */
    private INDArray assemble(List<float[]> inputs) {
        int r = model.config().resolution();
        int floats = preprocessor.floatsPerImage();
        for (float[] input : inputs) {
            if (input.length != floats) {
                throw new IllegalArgumentException("a model input has " + floats + " floats, got " + input.length);
            }
        }
        INDArray batch = Nd4j.createUninitialized(DataType.FLOAT, inputs.size(), r, r, 3);
        FloatBuffer data = batch.data().asNioFloat();
        for (int i = 0; i < inputs.size(); i++) {
            data.put(i * floats, inputs.get(i));
        }
        return batch;
    }

    /** Work that shares the cores with other such work, never with a forward pass. */
    private static <T> T shared(Supplier<T> work) {
        Lock shared = CORES.readLock();
        shared.lock();
        try {
            return work.get();
        } finally {
            shared.unlock();
        }
    }

    /** A forward pass and the reading of its outputs, alone on the cores; its time goes to {@code nanos[0]}. */
    private static <T> T exclusive(long[] nanos, Supplier<T> work) {
        Lock alone = CORES.writeLock();
        alone.lock();
        long start = System.nanoTime();
        try {
            NativeThreads.applyToCurrentThread();
            return work.get();
        } finally {
            nanos[0] += System.nanoTime() - start;
            alone.unlock();
        }
    }

    /** Predictions from the graph's outputs (predictions if classified, then embeddings), read before the next pass. */
    private List<Prediction> extract(INDArray[] outputs, int n, int topK) {
        boolean classified = model.config().hasClassifier();
        float[][] embeddings = rows(outputs[classified ? 1 : 0], n);
        float[][] probabilities = classified ? rows(outputs[0], n) : null;
        List<Prediction> predictions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Prediction.ClassScore> top = classified ? topK(probabilities[i], topK) : List.of();
            predictions.add(new Prediction(top, embeddings[i]));
        }
        return predictions;
    }

    /**
     * The first {@code n} rows of a matrix, read in one pass over its memory: a row view and a
     * copy per image (predictions and embedding) took 0.98 ms a batch of 32 and 29 us a batch of
     * 1 (medians of five rounds), against 0.05 ms and 1.2 us this way: about a tenth of V1
     * 0.25@128's whole pass at batch 32.
     */
    private static float[][] rows(INDArray matrix, int n) {
        boolean asIs = matrix.dataType() == DataType.FLOAT && matrix.ordering() == 'c' && matrix.offset() == 0
                && Shape.hasDefaultStridesForShape(matrix);
        INDArray dense = asIs ? matrix : matrix.castTo(DataType.FLOAT).dup('c');
        try {
            int width = (int) dense.size(1);
            FloatBuffer data = dense.data().asNioFloat();
            float[][] rows = new float[n][width];
            for (int i = 0; i < n; i++) {
                data.get(i * width, rows[i]);
            }
            return rows;
        } finally {
            if (!asIs && dense.closeable()) {
                dense.close();
            }
        }
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
            top.add(new Prediction.ClassScore(index, model.labels().name(index), probabilities[index]));
        }
        return top;
    }
}
