package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.architecture.LayerNames;
import dev.mobilenetspark.model.architecture.NetworkGraph;

import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.common.util.ArrayUtil;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The forward pass of a BatchNorm-folded network (the builder's conv + bias form) as oneDNN
 * primitives on NHWC buffers, derived once from the DL4J graph, which stays the one definition
 * of the network. Per step ({@link OneDnnStep}): convolutions on NHWC with bias and activation
 * fused ({@link OneDnnConvolution}; stock DL4J M2.1 runs 1x1 ones through im2col and
 * OpenBLAS), residual adds and squeeze-and-excite scaling, global pooling, dense layers with
 * bias and activation fused, and softmax. Buffers are allocated for the largest batch seen and
 * shared by liveness; a smaller batch uses the first rows of the same memory. So a batch
 * allocates no native memory: what would otherwise pile up off the heap until a GC.
 *
 * <p>The largest batch seen runs as it is; a smaller one (a partition's last) runs padded to the
 * next power of two. Each batch size costs oneDNN primitives of its own, kept for the JVM's
 * life (about 6 MiB at V1 0.25@128), so planning every remainder grew an executor by some
 * 200 MiB over a run; this way a batch size of 32 plans at most 6 sizes.
 *
 * <p>Not thread-safe: the {@code ModelHandler} that owns one serialises its calls.
 */
public final class NativeForwardPass {

    /**
     * One vertex of the plan: {@code step} computes its output buffer from its inputs' buffers.
     *
     * @param zeroBorder the step writes only the interior of its output, whose border must stay zero
     */
    private record Planned(String name, String[] inputs, long[] shape, OneDnnStep step, boolean zeroBorder) { }

    private final List<Planned> plan = new ArrayList<>();
    private final String[] outputs;
    private int batch = -1;
    private int largest;
    /** Each step's output memory, sized for batches of {@code largest}. */
    private final Map<String, DataBuffer> memory = new HashMap<>();
    private final Set<Integer> planned = new HashSet<>();
    private final Map<String, INDArray> buffers = new HashMap<>();

    /** Plans {@code network} (folded: no BatchNorm or activation layers) for NHWC inputs of {@code resolution}, in float32. */
    public NativeForwardPass(ComputationGraph network, int resolution) {
        this(network, resolution, false);
    }

    /**
     * As {@link #NativeForwardPass(ComputationGraph, int)}, with full and 1x1 convolutions in
     * bfloat16 if {@code bf16}; refused where the CPU has no bfloat16 arithmetic.
     */
    public NativeForwardPass(ComputationGraph network, int resolution, boolean bf16) {
        if (bf16 && !supportsBf16()) {
            throw new IllegalArgumentException("bfloat16 needs a CPU with AVX512-BF16 or AMX; oneDNN's best here is "
                    + OneDnnConvolution.cpuIsa());
        }
        NetworkGraph graph = NetworkGraph.of(network, resolution);
        for (NetworkGraph.Vertex v : graph.vertices()) {
            plan.add(new Planned(v.name(), v.inputs().toArray(String[]::new), v.shape(), step(network, v, bf16),
                    v.kind() == NetworkGraph.Kind.ZERO_PADDING));
        }
        outputs = graph.outputs().toArray(String[]::new);
    }

    /**
     * Runs the network on an NHWC batch; returns the graph's outputs, in the graph's order, as
     * this plan's own buffers: valid until the next call.
     */
    public INDArray[] output(INDArray input) {
        int n = (int) input.size(0);
        int size = n >= largest ? n : Math.min(Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1, largest);
        if (size == n) {
            run(input, null);
            return Arrays.stream(outputs).map(buffers::get).toArray(INDArray[]::new);
        }
        try (INDArray padded = Nd4j.zeros(DataType.FLOAT, size, input.size(1), input.size(2), input.size(3))) {
            padded.get(NDArrayIndex.interval(0, n)).assign(input);
            run(padded, null);
            buffers.remove(LayerNames.INPUT);
        }
        return Arrays.stream(outputs).map(o -> buffers.get(o).get(NDArrayIndex.interval(0, n))).toArray(INDArray[]::new);
    }

    /** The batch sizes planned so far. */
    Set<Integer> plannedBatchSizes() {
        return Set.copyOf(planned);
    }

    /** Bytes of native memory the buffers hold (each shared buffer once): sized for the largest batch seen. */
    long bufferBytes() {
        Set<DataBuffer> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        buffers.entrySet().stream().filter(e -> !e.getKey().equals(LayerNames.INPUT)).forEach(e -> distinct.add(e.getValue().data()));
        return distinct.stream().mapToLong(d -> d.length() * d.getElementSize()).sum();
    }

    /** Nanoseconds spent in each vertex over {@code runs} passes on {@code input}, in plan order. */
    public Map<String, Long> profile(INDArray input, int runs) {
        Map<String, Long> nanos = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            run(input, nanos);
        }
        return nanos;
    }

    private void run(INDArray input, Map<String, Long> nanos) {
        int n = (int) input.size(0);
        if (n != batch) {
            shape(n);
        }
        // The steps read every buffer as dense float from offset 0: the plan's own are, an input may not be.
        boolean dense = input.dataType() == DataType.FLOAT && input.ordering() == 'c' && input.offset() == 0
                && Shape.hasDefaultStridesForShape(input);
        INDArray source = dense ? input : input.castTo(DataType.FLOAT).dup('c');
        buffers.put(LayerNames.INPUT, source);
        try {
            for (Planned p : plan) {
                INDArray[] in = new INDArray[p.inputs().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = buffers.get(p.inputs()[i]);
                }
                long start = System.nanoTime();
                p.step().run(in, buffers.get(p.name()));
                if (nanos != null) {
                    nanos.merge(p.name(), System.nanoTime() - start, Long::sum);
                }
            }
        } finally {
            if (!dense) {
                buffers.remove(LayerNames.INPUT);
                source.close();
            }
        }
    }

    /** Gives every step an output buffer for batches of {@code n}, in memory allocated for the largest batch. */
    private void shape(int n) {
        if (n > largest || memory.isEmpty()) {
            largest = Math.max(largest, n);
            allocate(largest);
        }
        buffers.clear();
        for (Planned p : plan) {
            long[] shape = p.shape().clone();
            shape[0] = n;
            buffers.put(p.name(), Nd4j.create(memory.get(p.name()), shape));
        }
        batch = n;
        planned.add(n);
    }

    /**
     * Allocates every step's output memory for batches of {@code n}. A step's inputs are released
     * after their last reader and their memory serves later steps (the smallest free one that is
     * large enough), so a chain like V1 holds about three activations at a time instead of all
     * of them: 616 MiB became 196 MiB at V1 1.0@224, batch 32. Never released: the graph's
     * outputs, and a padding step's buffer, which keeps the zero border of its first fill (the
     * step writes only the interior, pass after pass).
     */
    private void allocate(int n) {
        memory.clear();
        Map<String, Integer> lastRead = new HashMap<>();
        for (int i = 0; i < plan.size(); i++) {
            for (String input : plan.get(i).inputs()) {
                lastRead.put(input, i);
            }
        }
        Set<String> kept = new HashSet<>(Arrays.asList(outputs));
        kept.add(LayerNames.INPUT);
        plan.stream().filter(Planned::zeroBorder).forEach(p -> kept.add(p.name()));
        List<DataBuffer> free = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            Planned p = plan.get(i);
            long[] shape = p.shape().clone();
            shape[0] = n;
            DataBuffer reused = p.zeroBorder() ? null : takeSmallest(free, ArrayUtil.prodLong(shape));
            memory.put(p.name(), reused == null ? Nd4j.zeros(DataType.FLOAT, shape).data() : reused);
            for (String input : new LinkedHashSet<>(Arrays.asList(p.inputs()))) {
                if (lastRead.get(input) == i && !kept.contains(input)) {
                    free.add(memory.get(input));
                }
            }
        }
    }

    /**
     * Removed by position: a DataBuffer's equals compares contents, element by element, which
     * took 1.8 s of a V2 224 plan for batches of 32.
     */
    private static DataBuffer takeSmallest(List<DataBuffer> free, long length) {
        int best = -1;
        for (int i = 0; i < free.size(); i++) {
            long size = free.get(i).length();
            if (size >= length && (best < 0 || size < free.get(best).length())) {
                best = i;
            }
        }
        return best < 0 ? null : free.remove(best);
    }

    /** Whether this CPU computes bfloat16 convolutions natively. */
    public static boolean supportsBf16() {
        return OneDnnConvolution.bf16Supported();
    }

    private static OneDnnStep step(ComputationGraph network, NetworkGraph.Vertex v, boolean bf16) {
        org.deeplearning4j.nn.api.Layer params = v.layer() == null ? null : network.getLayer(v.name());
        return switch (v.kind()) {
            case ADD -> OneDnnStep.add(v.shape());
            case CHANNEL_SCALE -> OneDnnStep.scaleChannels(v.shape());
            case CONVOLUTION, DEPTHWISE_CONVOLUTION -> OneDnnStep.of(new OneDnnConvolution((ConvolutionLayer) v.layer(),
                    params.getParam("W"), params.getParam("b"), v.inputShape(), v.shape(), bf16));
            case ZERO_PADDING -> {
                int[] pad = ((ZeroPaddingLayer) v.layer()).getPadding();
                yield OneDnnStep.zeroPad(v.inputShape(), v.shape(), pad[0], pad[2]);
            }
            case GLOBAL_AVERAGE_POOL -> OneDnnStep.globalAveragePool(v.inputShape());
            case DENSE -> OneDnnStep.dense(params.getParam("W"), params.getParam("b"),
                    ((FeedForwardLayer) v.layer()).getActivationFn());
            case BATCH_NORM, ACTIVATION -> throw new IllegalArgumentException("no native step for layer " + v.name()
                    + " (" + v.kind() + "): the network must be BatchNorm-folded");
        };
    }
}
