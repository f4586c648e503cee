package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.layers.ActivationHardSigmoid;
import dev.mobilenetspark.model.layers.ActivationHardSwish;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.inner_product_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.softmax_forward;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

/**
 * One step of the native forward pass as oneDNN primitives on the plan's dense float buffers
 * (NHWC for feature maps, [N, C] for pooled and dense ones). Every step of a pass is one, so a
 * pass's steps never call an ND4J op: in a prototype, the 27 convolutions of V1 0.25@128 took
 * 0.23-0.27 ms a pass at batch 1, and 0.42-0.55 ms with three small ND4J ops after them (pooling,
 * gemm, bias; the pass also ran its softmax as a fourth).
 *
 * <p>A step makes its primitives once per batch size and keeps them; the data of its inputs and
 * output are set per call, since buffers are shared between steps and grow with the batch.
 *
 * <p>Not thread-safe: one stream, used by one forward pass at a time.
 */
final class OneDnnStep {

    static final engine CPU = new engine(engine.kind.cpu, 0);

    /** Makes a step's primitives for one batch size. */
    interface Binder {
        Bound bind(long batch);
    }

    /**
     * A step's primitives for one batch size, executed in order with their arguments; each of
     * {@code inputs} is pointed at the step's input of that position per call, {@code output} at
     * its output.
     */
    record Bound(List<primitive> primitives, List<IntMemoryMap> arguments, List<memory> inputs, memory output) {

        static Bound of(primitive primitive, IntMemoryMap arguments, List<memory> inputs, memory output) {
            return new Bound(List.of(primitive), List.of(arguments), inputs, output);
        }
    }

    private final Binder binder;
    private final stream stream = new stream(CPU);
    private final Map<Long, Bound> byBatch = new HashMap<>();

    private OneDnnStep(Binder binder) {
        this.binder = binder;
    }

    /**
     * Computes {@code out} from {@code in}, all of the same batch size and all dense C-order float
     * buffers from offset 0, as the plan's are.
     */
    void run(INDArray[] in, INDArray out) {
        Bound bound = byBatch.computeIfAbsent(out.size(0), binder::bind);
        for (int i = 0; i < in.length; i++) {
            bound.inputs().get(i).set_data_handle(in[i].data().addressPointer());
        }
        bound.output().set_data_handle(out.data().addressPointer());
        for (int p = 0; p < bound.primitives().size(); p++) {
            bound.primitives().get(p).execute(stream, bound.arguments().get(p));
        }
        stream._wait();
    }

    /** A convolution; see {@link OneDnnConvolution}. */
    static OneDnnStep of(OneDnnConvolution convolution) {
        return new OneDnnStep(convolution::bind);
    }

    /** The mean over H and W of NHWC {@code inputShape} ([1, H, W, C]), as [N, C]. */
    static OneDnnStep globalAveragePool(long[] inputShape) {
        return new OneDnnStep(batch -> {
            memory.desc source = nhwc(batch, inputShape);
            memory.desc pooled = nhwc(batch, new long[] {1, 1, 1, inputShape[3]});
            long[] window = {inputShape[1], inputShape[2]};
            pooling_forward.primitive_desc plan = new pooling_forward.primitive_desc(new pooling_forward.desc(
                    prop_kind.forward_inference, algorithm.pooling_avg_exclude_padding, source, pooled,
                    new long[] {1, 1}, window, new long[] {0, 0}, new long[] {0, 0}), CPU);
            memory in = unbound(source);
            memory out = unbound(pooled);
            return Bound.of(new pooling_forward(plan), arguments(DNNL_ARG_SRC, in, DNNL_ARG_DST, out), List.of(in), out);
        });
    }

    /**
     * A dense layer on [N, {@code inputs}]: {@code weights} as DL4J keeps them ([in, out]), the
     * bias and activation fused; a softmax is a second primitive, in place.
     */
    static OneDnnStep dense(INDArray weights, INDArray bias, IActivation activation) {
        long inputs = weights.size(0);
        long outputs = weights.size(1);
        boolean softmax = activation instanceof ActivationSoftmax;
        primitive_attr attributes = new primitive_attr();
        attributes.set_post_ops(softmax ? new post_ops() : postOps(activation));
        Parameters parameters = new Parameters(weights, new long[] {outputs, inputs}, memory.format_tag.ba, bias);
        return new OneDnnStep(batch -> {
            memory.desc source = new memory.desc(new long[] {batch, inputs}, memory.data_type.f32, memory.format_tag.nc);
            memory.desc destination = new memory.desc(new long[] {batch, outputs}, memory.data_type.f32,
                    memory.format_tag.nc);
            inner_product_forward.primitive_desc plan = new inner_product_forward.primitive_desc(
                    new inner_product_forward.desc(prop_kind.forward_inference, source, parameters.anyWeights(memory.data_type.f32),
                            parameters.biasDesc(), destination),
                    attributes, CPU);
            memory in = unbound(source);
            memory out = unbound(destination);
            IntMemoryMap product = arguments(DNNL_ARG_SRC, in, DNNL_ARG_DST, out);
            product.put(DNNL_ARG_WEIGHTS, parameters.weights(plan.weights_desc()));
            product.put(DNNL_ARG_BIAS, parameters.bias());
            if (!softmax) {
                return Bound.of(new inner_product_forward(plan), product, List.of(in), out);
            }
            softmax_forward.primitive_desc normalise = new softmax_forward.primitive_desc(
                    new softmax_forward.desc(prop_kind.forward_inference, destination, 1), CPU);
            return new Bound(List.of(new inner_product_forward(plan), new softmax_forward(normalise)),
                    List.of(product, arguments(DNNL_ARG_SRC, out, DNNL_ARG_DST, out)), List.of(in), out);
        });
    }

    /** The element-wise sum of two NHWC inputs of {@code shape}: a residual connection. */
    static OneDnnStep add(long[] shape) {
        return binary(algorithm.binary_add, shape, shape);
    }

    /** Each channel of NHWC {@code shape} times its factor, the second input ([N, C]): squeeze-and-excite's gate. */
    static OneDnnStep scaleChannels(long[] shape) {
        return binary(algorithm.binary_mul, shape, new long[] {1, 1, 1, shape[3]});
    }

    private static OneDnnStep binary(algorithm operation, long[] shape, long[] secondShape) {
        return new OneDnnStep(batch -> {
            memory.desc first = nhwc(batch, shape);
            memory a = unbound(first);
            memory b = unbound(nhwc(batch, secondShape));
            memory out = unbound(first);
            binary.primitive_desc plan = new binary.primitive_desc(new binary.desc(operation, first, b.get_desc(), first), CPU);
            IntMemoryMap arguments = arguments(DNNL_ARG_SRC_0, a, DNNL_ARG_DST, out);
            arguments.put(DNNL_ARG_SRC_1, b);
            return Bound.of(new binary(plan), arguments, List.of(a, b), out);
        });
    }

    /**
     * NHWC {@code inputShape} copied into the interior of {@code outputShape}, {@code top} rows and
     * {@code left} columns in; the border is not written, so the output's memory must keep it zero.
     */
    static OneDnnStep zeroPad(long[] inputShape, long[] outputShape, long top, long left) {
        return new OneDnnStep(batch -> {
            memory in = unbound(nhwc(batch, inputShape));
            memory.desc interior = nhwc(batch, outputShape).submemory_desc(
                    new long[] {batch, inputShape[3], inputShape[1], inputShape[2]}, new long[] {0, 0, top, left});
            memory out = unbound(interior);
            return Bound.of(new reorder(in, out), arguments(DNNL_ARG_FROM, in, DNNL_ARG_TO, out), List.of(in), out);
        });
    }

    /** A memory object with no data yet: {@link #run} points it at a buffer per call. */
    static memory unbound(memory.desc desc) {
        return new memory(desc, CPU, new Pointer());
    }

    static memory.desc nhwc(long batch, long[] shape) {
        return nhwc(batch, shape, memory.data_type.f32);
    }

    /** oneDNN's dims are N, C, H, W whatever the layout; {@code shape} is [1, H, W, C]. */
    static memory.desc nhwc(long batch, long[] shape, memory.data_type type) {
        return new memory.desc(new long[] {batch, shape[3], shape[1], shape[2]}, type, memory.format_tag.nhwc);
    }

    private static IntMemoryMap arguments(int first, memory a, int second, memory b) {
        IntMemoryMap arguments = new IntMemoryMap();
        arguments.put(first, a);
        arguments.put(second, b);
        return arguments;
    }

    /**
     * A layer's weights and bias, copied once: the weights reordered into each layout a primitive
     * asks for (batch sizes share them; every partition's last batch has a size of its own), the
     * bias as it is.
     */
    static final class Parameters {
        private final INDArray weights;
        private final long[] dims;
        private final memory.desc given;
        private final List<memory> reordered = new ArrayList<>();
        private final INDArray biasData;
        private final memory bias;

        /** {@code dims} and {@code layout} say how oneDNN reads {@code weights}; {@code bias} has one value per output. */
        Parameters(INDArray weights, long[] dims, memory.format_tag layout, INDArray bias) {
            this.weights = weights.dup('c');
            this.dims = dims.clone();
            this.given = new memory.desc(dims, memory.data_type.f32, layout);
            this.biasData = bias.reshape(-1).dup('c');
            this.bias = new memory(biasDesc(), CPU, biasData.data().addressPointer());
        }

        /** The weights' dims in whatever layout a primitive prefers, in {@code type}. */
        memory.desc anyWeights(memory.data_type type) {
            return new memory.desc(dims, type, memory.format_tag.any);
        }

        /** The weights in {@code layout}, reordered from the given ones the first time it is asked for. */
        memory weights(memory.desc layout) {
            for (memory m : reordered) {
                if (m.get_desc().equals(layout)) {
                    return m;
                }
            }
            memory source = new memory(given, CPU, weights.data().addressPointer());
            memory target = new memory(layout, CPU);
            stream once = new stream(CPU);
            new reorder(source, target).execute(once, source, target);
            once._wait();
            reordered.add(target);
            return target;
        }

        memory.desc biasDesc() {
            return new memory.desc(new long[] {biasData.length()}, memory.data_type.f32, memory.format_tag.x);
        }

        memory bias() {
            return bias;
        }
    }

    /** The activations the builders use, as oneDNN post-ops; anything else has no fast path. */
    static post_ops postOps(IActivation activation) {
        post_ops ops = new post_ops();
        if (activation instanceof ActivationReLU6) {
            ops.append_eltwise(1f, algorithm.eltwise_clip, 0f, 6f);
        } else if (activation instanceof ActivationReLU) {
            ops.append_eltwise(1f, algorithm.eltwise_relu, 0f, 0f);
        } else if (activation instanceof ActivationHardSwish) {
            ops.append_eltwise(1f, algorithm.eltwise_hardswish, 0f, 0f);
        } else if (activation instanceof ActivationHardSigmoid) {
            ops.append_eltwise(1f, algorithm.eltwise_linear, 1f / 6, 0.5f);
            ops.append_eltwise(1f, algorithm.eltwise_clip, 0f, 1f);
        } else if (activation instanceof ActivationSigmoid) {
            ops.append_eltwise(1f, algorithm.eltwise_logistic, 0f, 0f);
        } else if (!(activation instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("no fast path for activation " + activation);
        }
        return ops;
    }
}
