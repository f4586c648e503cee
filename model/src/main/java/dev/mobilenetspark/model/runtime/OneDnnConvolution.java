package dev.mobilenetspark.model.runtime;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.cpu_isa;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.get_effective_cpu_isa;

/**
 * One convolution (full, 1x1 or depthwise) run by oneDNN itself on the plan's NHWC buffers, with
 * the bias and the activation fused into it. ND4J's own ops hand oneDNN their tensors in an
 * "any" layout, and on AVX2 oneDNN then picks its blocked layout: each call reordered input and
 * output, which was half of a V1 forward pass. Here the source and destination are declared
 * NHWC, so no tensor is copied; only the weights are reordered, once per layout a primitive
 * asks for.
 *
 * <p>In bfloat16 ({@code bf16}), a full or 1x1 convolution reads its input as bfloat16 (a reorder
 * per call) with bfloat16 weights, and accumulates and writes float32: on a CPU with AVX512-BF16
 * its arithmetic runs at twice the float rate. Depthwise convolutions, which move more memory
 * than they compute, stay float32 (measured slower in bfloat16 with the reorder).
 */
final class OneDnnConvolution {

    private final OneDnnStep.Parameters parameters;
    private final long[] kernel;
    private final long[] stride;
    private final long[] inputShape;
    private final long[] outputShape;
    /** The activation as post-ops; built here, so an unsupported one is refused when the plan is made. */
    private final primitive_attr attributes = new primitive_attr();
    /** Whether this convolution computes in bfloat16. */
    private final boolean bf16;

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
        boolean depthwise = layer instanceof DepthwiseConvolution2D;
        this.bf16 = bf16 && !depthwise;
        this.kernel = new long[] {layer.getKernelSize()[0], layer.getKernelSize()[1]};
        this.stride = new long[] {layer.getStride()[0], layer.getStride()[1]};
        this.inputShape = inputShape.clone();
        this.outputShape = outputShape.clone();
        // DL4J's layouts: depthwise [kH, kW, C, 1] (oneDNN's grouped {G, 1, 1, kH, kW} as hwigo),
        // full [out, in, kH, kW] (oihw).
        this.parameters = depthwise
                ? new OneDnnStep.Parameters(weights, new long[] {inputShape[3], 1, 1, kernel[0], kernel[1]},
                        memory.format_tag.hwigo, bias)
                : new OneDnnStep.Parameters(weights, new long[] {outputShape[3], inputShape[3], kernel[0], kernel[1]},
                        memory.format_tag.oihw, bias);
        attributes.set_post_ops(OneDnnStep.postOps(layer.getActivationFn()));
    }

    /** {@code out = activation(conv(in) + bias)} for batches of {@code batch}. */
    OneDnnStep.Bound bind(long batch) {
        memory.data_type computed = bf16 ? memory.data_type.bf16 : memory.data_type.f32;
        memory.desc input = OneDnnStep.nhwc(batch, inputShape);
        memory.desc source = OneDnnStep.nhwc(batch, inputShape, computed);
        memory.desc destination = OneDnnStep.nhwc(batch, outputShape);
        long[] before = new long[2];
        long[] after = new long[2];
        for (int d = 0; d < 2; d++) {
            long total = Math.max(0, (outputShape[1 + d] - 1) * stride[d] + kernel[d] - inputShape[1 + d]);
            before[d] = total / 2;
            after[d] = total - before[d];
        }
        convolution_forward.desc description = new convolution_forward.desc(prop_kind.forward_inference,
                algorithm.convolution_direct, source, parameters.anyWeights(computed), parameters.biasDesc(), destination, stride, before, after);
        convolution_forward.primitive_desc plan = new convolution_forward.primitive_desc(description, attributes, OneDnnStep.CPU);

        memory in = OneDnnStep.unbound(input);
        memory out = OneDnnStep.unbound(destination);
        memory converted = bf16 ? new memory(source, OneDnnStep.CPU) : in;
        IntMemoryMap arguments = new IntMemoryMap();
        arguments.put(DNNL_ARG_SRC, converted);
        arguments.put(DNNL_ARG_WEIGHTS, parameters.weights(plan.weights_desc()));
        arguments.put(DNNL_ARG_BIAS, parameters.bias());
        arguments.put(DNNL_ARG_DST, out);
        convolution_forward convolution = new convolution_forward(plan);
        if (!bf16) {
            return OneDnnStep.Bound.of(convolution, arguments, List.of(in), out);
        }
        IntMemoryMap conversion = new IntMemoryMap();
        conversion.put(DNNL_ARG_FROM, in);
        conversion.put(DNNL_ARG_TO, converted);
        return new OneDnnStep.Bound(List.of(new reorder(in, converted), convolution), List.of(conversion, arguments),
                List.of(in), out);
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
}
