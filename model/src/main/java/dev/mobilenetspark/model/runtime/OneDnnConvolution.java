package dev.mobilenetspark.model.runtime;

import dev.mobilenetspark.model.layers.ActivationHardSigmoid;
import dev.mobilenetspark.model.layers.ActivationHardSwish;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.cpu_isa;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.get_effective_cpu_isa;

/**
 * One convolution (full, 1x1 or depthwise) run by oneDNN itself on the plan's NHWC buffers, with
 * the bias and the activation fused into it. ND4J's own ops hand oneDNN their tensors in an
 * "any" layout, and on AVX2 oneDNN then picks its blocked layout: each call reordered input and
 * output, which was half of a V1 forward pass. Here the source and destination are declared
 * NHWC, so no tensor is copied; only the weights are reordered, once per layout a primitive
 * asks for (batch sizes share it: every partition's last batch has a size of its own).
 *
 * <p>In bfloat16 ({@code bf16}), a full or 1x1 convolution reads its input as bfloat16 (a reorder
 * per call) with bfloat16 weights, and accumulates and writes float32: on a CPU with AVX512-BF16
 * its arithmetic runs at twice the float rate. Depthwise convolutions, which move more memory
 * than they compute, stay float32 (measured slower in bfloat16 with the reorder).
 *
 * <p>Not thread-safe: one stream, used by one forward pass at a time.
 */
final class OneDnnConvolution {

    private static final engine CPU = new engine(engine.kind.cpu, 0);

    private final INDArray weights;
    private final INDArray bias;
    private final boolean depthwise;
    private final long[] kernel;
    private final long[] stride;
    private final long[] inputShape;
    private final long[] outputShape;
    /** The activation as post-ops; built here, so an unsupported one is refused when the plan is made. */
    private final primitive_attr attributes = new primitive_attr();
    private final stream stream = new stream(CPU);
    private final Map<Long, Bound> byBatch = new HashMap<>();
    /** The weights in each layout a primitive asked for: one copy per layout, not per batch size. */
    private final List<memory> reorderedWeights = new ArrayList<>();
    /** Whether this convolution computes in bfloat16. */
    private final boolean bf16;

    /**
     * A primitive for one batch size, with its memory objects; the data pointers of {@code input}
     * and {@code destination} are set per call. In bfloat16, {@code toSource} converts the input
     * into {@code source}, memory of the primitive's own; otherwise it is null and the two are one.
     */
    private record Bound(convolution_forward primitive, memory input, reorder toSource, memory source,
                         memory destination, IntMemoryMap arguments, memory weights, memory bias) { }

    /**
     * @param inputShape  NHWC [1, H, W, C] of the input; the batch size is taken per call
     * @param outputShape NHWC [1, H, W, C] of the output
     * @param bf16        compute a full or 1x1 convolution in bfloat16 (see the class comment)
     */
    OneDnnConvolution(ConvolutionLayer layer, INDArray weights, INDArray bias, long[] inputShape, long[] outputShape,
                      boolean bf16) {
        if (layer.getConvolutionMode() != ConvolutionMode.Same && layer.getConvolutionMode() != ConvolutionMode.Truncate) {
            throw new IllegalArgumentException("no fast path for convolution mode " + layer.getConvolutionMode());
        }
        if (layer.getDilation()[0] != 1 || layer.getDilation()[1] != 1) {
            throw new IllegalArgumentException("no fast path for dilated convolutions");
        }
        this.weights = weights.dup('c');
        this.bias = bias.reshape(-1).dup('c');
        this.depthwise = layer instanceof DepthwiseConvolution2D;
        this.bf16 = bf16 && !depthwise;
        this.kernel = new long[] {layer.getKernelSize()[0], layer.getKernelSize()[1]};
        this.stride = new long[] {layer.getStride()[0], layer.getStride()[1]};
        this.inputShape = inputShape.clone();
        this.outputShape = outputShape.clone();
        attributes.set_post_ops(postOps(layer.getActivationFn()));
    }

    /**
     * {@code out = activation(conv(in) + bias)}, NHWC of the same batch size; {@code out} a dense
     * C-order float buffer from offset 0 (the plan's own), {@code in} copied into one if it is not.
     */
    void run(INDArray in, INDArray out) {
        Bound bound = byBatch.computeIfAbsent(in.size(0), this::bind);
        INDArray source = isDenseFloat(in) ? in : in.castTo(DataType.FLOAT).dup('c');
        bound.input().set_data_handle(source.data().addressPointer());
        bound.destination().set_data_handle(out.data().addressPointer());
        if (bound.toSource() != null) {
            bound.toSource().execute(stream, bound.input(), bound.source());
        }
        bound.primitive().execute(stream, bound.arguments());
        stream._wait();
        // oneDNN read the copy's native memory: keep the copy from being collected before that.
        Reference.reachabilityFence(source);
    }

    private static boolean isDenseFloat(INDArray array) {
        return array.dataType() == DataType.FLOAT && array.ordering() == 'c' && array.offset() == 0
                && Shape.hasDefaultStridesForShape(array);
    }

    private Bound bind(long batch) {
        long inChannels = inputShape[3];
        long outChannels = outputShape[3];
        memory.data_type computed = bf16 ? memory.data_type.bf16 : memory.data_type.f32;
        memory.desc input = nhwc(batch, inputShape, memory.data_type.f32);
        memory.desc source = nhwc(batch, inputShape, computed);
        memory.desc destination = nhwc(batch, outputShape, memory.data_type.f32);
        // DL4J's layouts: depthwise [kH, kW, C, 1] (oneDNN's grouped {G, 1, 1, kH, kW} as hwigo),
        // full [out, in, kH, kW] (oihw).
        long[] weightDims = depthwise
                ? new long[] {inChannels, 1, 1, kernel[0], kernel[1]}
                : new long[] {outChannels, inChannels, kernel[0], kernel[1]};
        memory.desc given = new memory.desc(weightDims, memory.data_type.f32,
                depthwise ? memory.format_tag.hwigo : memory.format_tag.oihw);
        memory.desc chosen = new memory.desc(weightDims, computed, memory.format_tag.any);
        memory.desc biasDesc = new memory.desc(new long[] {outChannels}, memory.data_type.f32, memory.format_tag.x);
        long[] before = new long[2];
        long[] after = new long[2];
        for (int d = 0; d < 2; d++) {
            long total = Math.max(0, (outputShape[1 + d] - 1) * stride[d] + kernel[d] - inputShape[1 + d]);
            before[d] = total / 2;
            after[d] = total - before[d];
        }
        convolution_forward.desc description = new convolution_forward.desc(prop_kind.forward_inference,
                algorithm.convolution_direct, source, chosen, biasDesc, destination, stride, before, after);
        convolution_forward.primitive_desc plan = new convolution_forward.primitive_desc(description, attributes, CPU);

        memory planWeights = weightsFor(given, plan.weights_desc());
        memory biasMemory = new memory(biasDesc, CPU, bias.data().addressPointer());
        // No data yet: run() points these at the batch's buffers.
        memory in = new memory(input, CPU, new Pointer());
        memory out = new memory(destination, CPU, new Pointer());
        memory converted = bf16 ? new memory(source, CPU) : in;
        IntMemoryMap arguments = new IntMemoryMap();
        arguments.put(DNNL_ARG_SRC, converted);
        arguments.put(DNNL_ARG_WEIGHTS, planWeights);
        arguments.put(DNNL_ARG_BIAS, biasMemory);
        arguments.put(DNNL_ARG_DST, out);
        return new Bound(new convolution_forward(plan), in, bf16 ? new reorder(in, converted) : null, converted, out,
                arguments, planWeights, biasMemory);
    }

    /** The weights in {@code layout}, reordered from {@code given} the first time a primitive asks for it. */
    private memory weightsFor(memory.desc given, memory.desc layout) {
        for (memory reordered : reorderedWeights) {
            if (reordered.get_desc().equals(layout)) {
                return reordered;
            }
        }
        memory givenWeights = new memory(given, CPU, weights.data().addressPointer());
        memory reordered = new memory(layout, CPU);
        new reorder(givenWeights, reordered).execute(stream, givenWeights, reordered);
        stream._wait();
        reorderedWeights.add(reordered);
        return reordered;
    }

    private static memory.desc nhwc(long batch, long[] shape, memory.data_type type) {
        return new memory.desc(new long[] {batch, shape[3], shape[1], shape[2]}, type, memory.format_tag.nhwc);
    }

    /**
     * Whether oneDNN computes bfloat16 convolutions natively on this CPU (AVX512-BF16 or AMX);
     * elsewhere it would run them in its reference code, many times slower than float32.
     */
    static boolean bf16Supported() {
        int isa = get_effective_cpu_isa().value;
        int needed = cpu_isa.avx512_core_bf16.value;
        return (isa & needed) == needed;
    }

    /** oneDNN's name for the best instruction set it uses here, for messages. */
    static String cpuIsa() {
        return get_effective_cpu_isa().name();
    }

    /** The activations the builders use, as oneDNN post-ops; anything else has no fast path. */
    private static post_ops postOps(IActivation activation) {
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
            throw new IllegalArgumentException("no fast path for convolutions with activation " + activation);
        }
        return ops;
    }
}
