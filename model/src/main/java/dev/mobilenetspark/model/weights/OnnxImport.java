package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.Architecture;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.ModelFileException;
import dev.mobilenetspark.model.architecture.MobileNetBuilder;
import dev.mobilenetspark.model.architecture.NetworkGraph;
import dev.mobilenetspark.model.layers.ActivationHardSigmoid;
import dev.mobilenetspark.model.layers.ActivationHardSwish;

import onnx.Onnx;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An ONNX MobileNet as torchvision exports it (V2, V3-Large, V3-Small; V1 in the same style)
 * onto this project's builder. Nothing in the file is executed: the graph is read as data,
 * matched against the networks the builder makes, and its weights are copied in graph order.
 *
 * <p>The graph is reduced to its steps with weights (convolutions, BatchNorms, and the dense
 * layers that squeeze-and-excite and the classifier are), each with its shape, stride and the
 * non-linearity after it (ReLU; Clip to [0, 6]; HardSwish, or HardSigmoid times its own input;
 * HardSigmoid as a gate). The architecture follows from the operators (h-swish: V3; residual
 * adds: V2; else V1), and the width multiplier is the one whose network has the same steps:
 * every candidate the builder makes is compared, step by step. BatchNorm kept or folded into
 * the convolutions is recognised, so is its epsilon, and the padding must be PyTorch's.
 * Anything else is refused with the first node that does not fit.
 *
 * <p>An ONNX file is untrusted input: it is read up to {@link #MAX_BYTES}, a tensor's size must
 * agree with its dimensions, and external data may only come from files under the model's own
 * directory.
 */
final class OnnxImport {

    /** The largest model file, and the most external data, read. */
    static final long MAX_BYTES = 512L << 20;

    /** The most values one tensor may hold: V1 at alpha 2 has 4.2 million in its largest. */
    private static final long MAX_TENSOR_VALUES = 32L << 20;

    /** The most nodes and initializers a graph may have: MobileNets have a few hundred. */
    private static final int MAX_NODES = 10_000;

    /** The input sizes a graph may fix. */
    private static final int MAX_RESOLUTION = 2048;

    /** Width multipliers tried, the papers' and torchvision's. */
    private static final double[] ALPHAS = {0.25, 0.35, 0.5, 0.75, 1.0, 1.25, 1.3, 1.4, 1.5, 2.0};

    /** Operators a MobileNet graph may hold besides its weighted ones. */
    private static final Set<String> SHAPE_ONLY = Set.of("Identity", "Constant", "Dropout", "Flatten", "Reshape", "Squeeze");

    /** What follows a step with weights. */
    private enum Nonlinearity { NONE, RELU, RELU6, HARD_SWISH, HARD_SIGMOID }

    /** A step with weights, as the graph has it and as the builder makes it. */
    private record Step(NetworkGraph.Kind kind, long in, long out, int kernel, int stride, boolean bias,
                        Nonlinearity after) {

        @Override
        public String toString() {
            return kind.name().toLowerCase() + " " + in + "->" + out + (kernel > 0 ? " " + kernel + "x" + kernel + "/" + stride : "")
                    + (bias ? " with bias" : "") + (after == Nonlinearity.NONE ? "" : ", then " + after.name().toLowerCase());
        }
    }

    /** A step of the graph: its node and tensors (weights, then bias; or BatchNorm's four). */
    private record GraphStep(Onnx.NodeProto node, Step step, List<INDArray> tensors) { }

    private final Path file;
    private final Onnx.GraphProto graph;
    private final Map<String, Onnx.TensorProto> constants = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final Map<String, List<Onnx.NodeProto>> consumers = new HashMap<>();
    private final Map<String, Onnx.NodeProto> producers = new HashMap<>();
    private final Set<String> flat = new java.util.HashSet<>();
    private long externalBytes;

    private OnnxImport(Path file, Onnx.ModelProto model) {
        this.file = file;
        this.graph = model.getGraph();
    }

    /** The file a directory's ONNX model is in. */
    static final String MODEL_ONNX = "model.onnx";

    /** Whether {@code path} names an ONNX model file. */
    static boolean recognises(Path path) {
        return path.toString().endsWith(".onnx");
    }

    static ImportedNetwork load(Path file, ModelSidecar sidecar) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ModelFileException(file + " is not a regular file");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new ModelFileException(file + " is " + size + " bytes, over the " + MAX_BYTES + " an ONNX MobileNet may have");
        }
        Onnx.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = Onnx.ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFileException(file + " is not an ONNX model: " + e.getMessage());
        }
        for (Onnx.OperatorSetIdProto opset : model.getOpsetImportList()) {
            if ((opset.getDomain().isEmpty() || opset.getDomain().equals("ai.onnx")) && opset.getVersion() < 13) {
                throw new ModelFileException(file + " uses ONNX opset " + opset.getVersion() + "; export with opset 13 or later");
            }
        }
        if (model.getGraph().getNodeCount() > MAX_NODES || model.getGraph().getInitializerCount() > MAX_NODES) {
            throw new ModelFileException(file + " has more nodes or initializers than any MobileNet (" + MAX_NODES + ")");
        }
        try {
            return new OnnxImport(file, model).load(sidecar.resolution());
        } catch (RuntimeException e) {
            // A malformed graph (a node without outputs, a bound that is no number, ...) is refused, not a crash.
            throw new ModelFileException(file + " is not an ONNX MobileNet this project reads: " + e);
        }
    }

    private ImportedNetwork load(int sidecarResolution) throws IOException {
        graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
        for (Onnx.NodeProto node : graph.getNodeList()) {
            for (String input : node.getInputList()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
            }
            if (node.getOutputCount() == 0) {
                throw refused(node, "it has no output");
            }
            producers.put(node.getOutput(0), node);
            switch (node.getOpType()) {
                case "Constant" -> {
                    Onnx.AttributeProto value = attribute(node, "value");
                    if (value == null) {
                        throw refused(node, "only a Constant of a tensor 'value' is read");
                    }
                    constants.put(node.getOutput(0), value.getT());
                }
                case "Identity" -> aliases.put(node.getOutput(0), node.getInput(0));
                default -> { }
            }
        }
        List<GraphStep> steps = steps();
        MobileNetConfig config = configuration(steps, sidecarResolution);
        ComputationGraph network = MobileNetBuilder.build(config, 0);
        ParamAssignment assignment = new ParamAssignment(network, config.summary());
        List<NetworkGraph.Vertex> ours = weighted(NetworkGraph.of(network, config.resolution()));
        for (int i = 0; i < steps.size(); i++) {
            assign(assignment, ours.get(i), steps.get(i));
        }
        assignment.apply();
        return new ImportedNetwork(config, network);
    }

    /** The graph's steps with weights, in graph order; refuses operators a MobileNet has not. */
    private List<GraphStep> steps() throws IOException {
        List<GraphStep> steps = new ArrayList<>();
        for (Onnx.NodeProto node : graph.getNodeList()) {
            switch (node.getOpType()) {
                case "Conv" -> steps.add(convolution(node));
                case "BatchNormalization" -> {
                    if (intAttribute(node, "training_mode", 0) != 0) {
                        throw refused(node, "it normalises with the batch's statistics (training_mode)");
                    }
                    INDArray scale = tensor(node, 1);
                    steps.add(new GraphStep(node, new Step(NetworkGraph.Kind.BATCH_NORM, scale.length(), scale.length(), 0, 0,
                            false, after(node.getOutput(0))), List.of(scale, tensor(node, 2), tensor(node, 3), tensor(node, 4))));
                }
                case "Gemm" -> steps.add(gemm(node));
                case "GlobalAveragePool" -> flat.add(node.getOutput(0));
                case "Relu", "Clip", "HardSwish", "HardSigmoid", "Mul", "Add" -> {
                    check(node);
                    // Squeeze-and-excite multiplies a feature map by pooled gates: that is no pooled value.
                    if (node.getInputList().stream().filter(i -> !i.isEmpty() && !constants.containsKey(source(i)))
                            .allMatch(i -> flat.contains(source(i)))) {
                        flat.add(node.getOutput(0));
                    }
                }
                default -> {
                    if (!SHAPE_ONLY.contains(node.getOpType())) {
                        throw refused(node, "this operator is in no MobileNet this project builds");
                    }
                    if (node.getInputCount() > 0 && flat.contains(source(node.getInput(0)))) {
                        flat.add(node.getOutput(0));
                    } else if (node.getOpType().equals("Reshape") || node.getOpType().equals("Squeeze")
                            || node.getOpType().equals("Flatten")) {
                        throw refused(node, "a MobileNet reshapes only its pooled features");
                    }
                }
            }
        }
        if (steps.isEmpty()) {
            throw new ModelFileException(file + " has no convolutions");
        }
        return steps;
    }

    /**
     * A non-linearity must follow a layer with weights, and an addition or a product join two
     * computed values: anything else (a normalisation baked into the graph, say) the builder's
     * networks do not have.
     */
    private void check(Onnx.NodeProto node) throws ModelFileException {
        boolean joins = node.getOpType().equals("Add") || node.getOpType().equals("Mul");
        int operands = joins ? node.getInputCount() : 1;
        for (int i = 0; i < operands; i++) {
            if (constants.containsKey(source(node.getInput(i)))) {
                throw refused(node, "it takes the constant '" + node.getInput(i) + "'");
            }
        }
        if (!joins) {
            Onnx.NodeProto producer = producers.get(source(node.getInput(0)));
            if (producer == null || !Set.of("Conv", "BatchNormalization", "Gemm").contains(producer.getOpType())) {
                throw refused(node, "it follows no layer with weights");
            }
        }
    }

    private GraphStep convolution(Onnx.NodeProto node) throws IOException {
        INDArray w = tensor(node, 1);
        if (w.rank() != 4 || w.size(2) != w.size(3)) {
            throw refused(node, "its weights are " + java.util.Arrays.toString(w.shape()) + ", not a square 2-D kernel");
        }
        int kernel = (int) w.size(2);
        long group = intAttribute(node, "group", 1);
        for (long d : intsAttribute(node, "dilations")) {
            if (d != 1) {
                throw refused(node, "it is dilated");
            }
        }
        if (!stringAttribute(node, "auto_pad", "NOTSET").equals("NOTSET")) {
            throw refused(node, "it pads with auto_pad; PyTorch's explicit padding k/2 is what this import maps");
        }
        for (long p : intsAttribute(node, "pads")) {
            if (p != kernel / 2) {
                throw refused(node, "its padding " + intsAttribute(node, "pads") + " is not PyTorch's k/2 on every side");
            }
        }
        List<Long> strides = intsAttribute(node, "strides");
        int stride = strides.isEmpty() ? 1 : strides.get(0).intValue();
        if (strides.stream().anyMatch(s -> s != stride)) {
            throw refused(node, "its strides " + strides + " differ by axis");
        }
        boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
        List<INDArray> tensors = bias ? List.of(w, tensor(node, 2)) : List.of(w);
        long out = w.size(0);
        long in = w.size(1) * group;
        NetworkGraph.Kind kind;
        if (flat.contains(source(node.getInput(0)))) {
            if (kernel != 1) {
                throw refused(node, "a convolution of pooled features must be 1x1");
            }
            flat.add(node.getOutput(0));
            kind = NetworkGraph.Kind.DENSE;
        } else if (group == 1) {
            kind = NetworkGraph.Kind.CONVOLUTION;
        } else if (group == in && out == in) {
            kind = NetworkGraph.Kind.DEPTHWISE_CONVOLUTION;
        } else {
            throw refused(node, "it is a grouped convolution (" + group + " groups) that is not depthwise");
        }
        return new GraphStep(node, new Step(kind, in, out, kind == NetworkGraph.Kind.DENSE ? 0 : kernel,
                kind == NetworkGraph.Kind.DENSE ? 0 : stride, bias, after(node.getOutput(0))), tensors);
    }

    private GraphStep gemm(Onnx.NodeProto node) throws IOException {
        if (floatAttribute(node, "alpha", 1) != 1 || floatAttribute(node, "beta", 1) != 1 || intAttribute(node, "transA", 0) != 0) {
            throw refused(node, "only Gemm with alpha 1, beta 1 and A untransposed is a dense layer");
        }
        INDArray w = tensor(node, 1);
        // Held as DL4J's dense weights, [in, out].
        INDArray weights = intAttribute(node, "transB", 0) == 1 ? w.transpose().dup('c') : w;
        boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
        flat.add(node.getOutput(0));
        return new GraphStep(node, new Step(NetworkGraph.Kind.DENSE, weights.size(0), weights.size(1), 0, 0, bias,
                after(node.getOutput(0))), bias ? List.of(weights, tensor(node, 2)) : List.of(weights));
    }

    /** The non-linearity applied to {@code tensor} by the node that takes it, if one does. */
    private Nonlinearity after(String tensor) throws ModelFileException {
        List<Onnx.NodeProto> next = consumers.getOrDefault(tensor, List.of());
        for (Onnx.NodeProto node : next) {
            switch (node.getOpType()) {
                case "Relu":
                    return Nonlinearity.RELU;
                case "Clip":
                    if (scalar(node, 1, "min") == 0 && scalar(node, 2, "max") == 6) {
                        return Nonlinearity.RELU6;
                    }
                    throw refused(node, "a Clip other than to [0, 6] is no MobileNet non-linearity");
                case "HardSwish":
                    return Nonlinearity.HARD_SWISH;
                case "HardSigmoid":
                    if (Math.abs(floatAttribute(node, "alpha", 0.2f) - 1 / 6.0) > 1e-6 || floatAttribute(node, "beta", 0.5f) != 0.5f) {
                        throw refused(node, "its slope and offset are not MobileNetV3's hard-sigmoid (1/6, 0.5)");
                    }
                    boolean timesItsInput = consumers.getOrDefault(node.getOutput(0), List.of()).stream()
                            .anyMatch(m -> m.getOpType().equals("Mul") && m.getInputList().contains(tensor));
                    return timesItsInput ? Nonlinearity.HARD_SWISH : Nonlinearity.HARD_SIGMOID;
                default:
                    break;
            }
        }
        return Nonlinearity.NONE;
    }

    /**
     * The network the steps describe: its architecture from the operators, its width multiplier
     * from the candidate whose steps are the same, BatchNorm folded where the graph has none.
     */
    private MobileNetConfig configuration(List<GraphStep> steps, int sidecarResolution) throws IOException {
        Set<String> ops = new TreeSet<>();
        graph.getNodeList().forEach(n -> ops.add(n.getOpType()));
        boolean v3 = ops.contains("HardSwish") || ops.contains("HardSigmoid");
        List<Architecture> architectures = v3 ? List.of(Architecture.V3_LARGE, Architecture.V3_SMALL)
                : ops.contains("Add") ? List.of(Architecture.V2) : List.of(Architecture.V1);
        MobileNetConfig.Activation activation = steps.stream().anyMatch(s -> s.step().after() == Nonlinearity.RELU6)
                ? MobileNetConfig.Activation.RELU6 : MobileNetConfig.Activation.RELU;
        boolean folded = steps.stream().noneMatch(s -> s.step().kind() == NetworkGraph.Kind.BATCH_NORM);
        double epsilon = 1e-3;
        if (!folded) {
            Set<Float> epsilons = new TreeSet<>();
            for (GraphStep s : steps) {
                if (s.step().kind() == NetworkGraph.Kind.BATCH_NORM) {
                    epsilons.add(floatAttribute(s.node(), "epsilon", 1e-5f));
                }
            }
            if (epsilons.size() > 1) {
                throw new ModelFileException(file + ": its BatchNorms have several epsilons " + epsilons);
            }
            epsilon = epsilons.iterator().next();
        }
        GraphStep last = steps.get(steps.size() - 1);
        boolean classifier = last.node().getOpType().equals("Gemm")
                && graph.getOutputList().stream().anyMatch(o -> o.getName().equals(last.node().getOutput(0)));
        int classes = classifier ? (int) last.step().out() : 0;
        int resolution = resolution(sidecarResolution);
        double eps = epsilon;
        MobileNetConfig best = null;
        int bestMatch = -1;
        for (Architecture architecture : architectures) {
            for (double alpha : ALPHAS) {
                MobileNetConfig candidate = MobileNetConfig.v1().with(c -> c.architecture(architecture).alpha(alpha)
                        .resolution(resolution).classes(classes).activation(activation).batchNormEpsilon(eps)
                        .padding(MobileNetConfig.Padding.TORCH).foldedBatchNorm(folded));
                Network network = ours(candidate);
                List<Step> theirs = network.steps();
                int same = 0;
                while (same < Math.min(theirs.size(), steps.size()) && theirs.get(same).equals(steps.get(same).step())) {
                    same++;
                }
                if (same == steps.size() && same == theirs.size()) {
                    long adds = graph.getNodeList().stream().filter(n -> n.getOpType().equals("Add")).count();
                    long pools = graph.getNodeList().stream().filter(n -> n.getOpType().equals("GlobalAveragePool")).count();
                    if (adds != network.adds() || pools != network.pools()) {
                        throw new ModelFileException(file + ": its layers with weights are " + candidate.summary() + "'s, but it has "
                                + adds + " residual additions and " + pools + " global pools where that network has "
                                + network.adds() + " and " + network.pools());
                    }
                    return candidate;
                }
                if (same > bestMatch) {
                    bestMatch = same;
                    best = candidate;
                }
            }
        }
        List<Step> closest = ours(best).steps();
        if (bestMatch == steps.size()) {
            throw new ModelFileException(file + ": the graph ends after " + steps.size() + " steps with weights where "
                    + best.summary() + " goes on with " + closest.get(bestMatch));
        }
        GraphStep at = steps.get(bestMatch);
        throw refused(at.node(), "it is " + at.step() + " where the closest network this project builds, " + best.summary()
                + ", has " + (bestMatch < closest.size() ? closest.get(bestMatch) : "nothing more"));
    }

    /** The input's side: the graph's, or the sidecar's where the graph leaves it open, else 224. */
    private int resolution(int sidecarResolution) throws ModelFileException {
        Onnx.ValueInfoProto input = graph.getInputList().stream().filter(i -> !constants.containsKey(i.getName()))
                .findFirst().orElseThrow(() -> new ModelFileException(file + " has no input"));
        List<Onnx.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 4 || dims.get(1).getDimValue() != 3) {
            throw new ModelFileException(file + ": input '" + input.getName() + "' is not a batch of RGB images, N x 3 x H x W");
        }
        long h = dims.get(2).getDimValue();
        long w = dims.get(3).getDimValue();
        if (h == 0 && w == 0) {
            return sidecarResolution == 0 ? 224 : sidecarResolution;
        }
        if (h != w) {
            throw new ModelFileException(file + ": input '" + input.getName() + "' is " + h + "x" + w + ", not square");
        }
        if (h < 32 || h > MAX_RESOLUTION) {
            throw new ModelFileException(file + ": input '" + input.getName() + "' is " + h + "x" + h + "; 32 to "
                    + MAX_RESOLUTION + " pixels are read");
        }
        if (sidecarResolution != 0 && sidecarResolution != h) {
            throw new ModelFileException(file + ": its input is " + h + "x" + h + " but " + ModelSidecar.FILE_NAME
                    + " says model.resolution=" + sidecarResolution);
        }
        return (int) h;
    }

    /** A network of the builder as the import compares it: its steps with weights, residual additions and pools. */
    private record Network(List<Step> steps, long adds, long pools) { }

    /** The network {@code config} describes. */
    private static Network ours(MobileNetConfig config) {
        ComputationGraph network = new ComputationGraph(MobileNetBuilder.configuration(config));
        List<NetworkGraph.Vertex> vertices = NetworkGraph.of(network, config.resolution()).vertices();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < vertices.size(); i++) {
            NetworkGraph.Vertex v = vertices.get(i);
            Nonlinearity after = i + 1 < vertices.size() && vertices.get(i + 1).kind() == NetworkGraph.Kind.ACTIVATION
                    && vertices.get(i + 1).inputs().equals(List.of(v.name()))
                    ? nonlinearity(((ActivationLayer) vertices.get(i + 1).layer()).getActivationFn()) : Nonlinearity.NONE;
            switch (v.kind()) {
                case CONVOLUTION, DEPTHWISE_CONVOLUTION -> {
                    ConvolutionLayer c = (ConvolutionLayer) v.layer();
                    long out = v.kind() == NetworkGraph.Kind.CONVOLUTION ? c.getNOut() : c.getNIn();
                    steps.add(new Step(v.kind(), c.getNIn(), out, c.getKernelSize()[0], c.getStride()[0], c.hasBias(),
                            c.hasBias() ? nonlinearity(c.getActivationFn()) : Nonlinearity.NONE));
                }
                case BATCH_NORM -> steps.add(new Step(v.kind(), v.shape()[3], v.shape()[3], 0, 0, false, after));
                case DENSE -> {
                    FeedForwardLayer d = (FeedForwardLayer) v.layer();
                    // The classifier gives probabilities; the graph's last Gemm gives their logits.
                    steps.add(new Step(v.kind(), d.getNIn(), d.getNOut(), 0, 0, true,
                            d instanceof OutputLayer ? Nonlinearity.NONE : nonlinearity(d.getActivationFn())));
                }
                default -> { }
            }
        }
        return new Network(steps, vertices.stream().filter(v -> v.kind() == NetworkGraph.Kind.ADD).count(),
                vertices.stream().filter(v -> v.kind() == NetworkGraph.Kind.GLOBAL_AVERAGE_POOL).count());
    }

    private static List<NetworkGraph.Vertex> weighted(NetworkGraph graph) {
        return graph.vertices().stream().filter(v -> switch (v.kind()) {
            case CONVOLUTION, DEPTHWISE_CONVOLUTION, BATCH_NORM, DENSE -> true;
            default -> false;
        }).toList();
    }

    private static Nonlinearity nonlinearity(IActivation activation) {
        if (activation instanceof ActivationReLU6) {
            return Nonlinearity.RELU6;
        }
        if (activation instanceof ActivationReLU) {
            return Nonlinearity.RELU;
        }
        if (activation instanceof ActivationHardSwish) {
            return Nonlinearity.HARD_SWISH;
        }
        if (activation instanceof ActivationHardSigmoid) {
            return Nonlinearity.HARD_SIGMOID;
        }
        if (activation == null || activation instanceof ActivationIdentity) {
            return Nonlinearity.NONE;
        }
        throw new IllegalStateException("the builder uses an activation this import does not know: " + activation);
    }

    /** Copies one graph step's tensors into the builder's layer, in DL4J's layouts. */
    private static void assign(ParamAssignment assignment, NetworkGraph.Vertex ours, GraphStep step) throws ModelFileException {
        String source = "node '" + step.node().getName() + "' (" + step.node().getOpType() + ")";
        List<INDArray> t = step.tensors();
        switch (ours.kind()) {
            case CONVOLUTION -> assignment.set(ours.name(), "W", t.get(0), source);
            // [C, 1, kh, kw] in ONNX, [kh, kw, C, 1] in DL4J.
            case DEPTHWISE_CONVOLUTION -> assignment.set(ours.name(), "W", t.get(0).permute(2, 3, 0, 1).dup('c'), source);
            case BATCH_NORM -> {
                assignment.set(ours.name(), "gamma", t.get(0), source);
                assignment.set(ours.name(), "beta", t.get(1), source);
                assignment.set(ours.name(), "mean", t.get(2), source);
                assignment.set(ours.name(), "var", t.get(3), source);
            }
            case DENSE -> {
                INDArray w = t.get(0);
                // A 1x1 convolution of pooled features, [out, in, 1, 1]; a Gemm's is [in, out] already.
                assignment.set(ours.name(), "W", w.rank() == 4 ? w.reshape(w.size(0), w.size(1)).transpose().dup('c') : w, source);
            }
            default -> throw new IllegalStateException("no weights in a " + ours.kind());
        }
        if (step.step().bias()) {
            assignment.set(ours.name(), "b", t.get(t.size() - 1), source);
        }
    }

    /** The tensor behind input {@code index} of {@code node}, which must be a constant. */
    private INDArray tensor(Onnx.NodeProto node, int index) throws IOException {
        if (index >= node.getInputCount()) {
            throw refused(node, "it has no input " + index);
        }
        Onnx.TensorProto t = constants.get(source(node.getInput(index)));
        if (t == null) {
            throw refused(node, "its input '" + node.getInput(index) + "' is not a constant of the file");
        }
        return floats(node, t);
    }

    /** What {@code name} stands for once Identity nodes are seen through. */
    private String source(String name) {
        String s = name;
        for (int hops = 0; aliases.containsKey(s); hops++) {
            if (hops > aliases.size()) {
                throw new IllegalArgumentException("Identity nodes that lead to each other from '" + name + "'");
            }
            s = aliases.get(s);
        }
        return s;
    }

    private INDArray floats(Onnx.NodeProto node, Onnx.TensorProto t) throws IOException {
        if (t.getDataType() != Onnx.TensorProto.DataType.FLOAT_VALUE) {
            throw refused(node, "tensor '" + t.getName() + "' is not float32");
        }
        if (t.getDimsCount() > 4) {
            throw refused(node, "tensor '" + t.getName() + "' has " + t.getDimsCount() + " dimensions");
        }
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) {
            if (d < 0 || d > MAX_TENSOR_VALUES) {
                throw refused(node, "tensor '" + t.getName() + "' has a dimension of " + d);
            }
            count *= d;
            if (count > MAX_TENSOR_VALUES) {
                throw refused(node, "tensor '" + t.getName() + "' has more values than any MobileNet tensor");
            }
        }
        boolean external = t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL;
        long held = external ? count * 4 : !t.getRawData().isEmpty() ? t.getRawData().size() : 4L * t.getFloatDataCount();
        if (held != count * 4) {
            throw refused(node, "tensor '" + t.getName() + "' holds " + held + " bytes for " + count + " floats");
        }
        float[] values = new float[(int) count];
        if (external) {
            external(node, t, count).asFloatBuffer().get(values);
        } else if (!t.getRawData().isEmpty()) {
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getFloatData(i);
            }
        }
        return shape.length == 0 ? Nd4j.scalar(values[0]) : Nd4j.create(values, shape, 'c');
    }

    /**
     * A tensor kept in a file beside the model (ONNX external data): the file must be under the
     * model's directory, and the bytes within it and within {@link #MAX_BYTES} in all.
     */
    private ByteBuffer external(Onnx.NodeProto node, Onnx.TensorProto t, long count) throws IOException {
        Map<String, String> entries = new HashMap<>();
        t.getExternalDataList().forEach(e -> entries.put(e.getKey(), e.getValue()));
        String location = entries.get("location");
        // Real paths: a link inside the directory may not lead out of it.
        Path dir = file.toRealPath().getParent();
        Path data = location == null || Path.of(location).isAbsolute() ? null : dir.resolve(location).normalize();
        if (data == null || !Files.isRegularFile(data) || !data.toRealPath().startsWith(dir)) {
            throw refused(node, "tensor '" + t.getName() + "' names external data '" + location
                    + "' that is not a file under the model's directory");
        }
        data = data.toRealPath();
        long offset;
        long length;
        try {
            offset = Long.parseLong(entries.getOrDefault("offset", "0"));
            length = Long.parseLong(entries.getOrDefault("length", Long.toString(count * 4)));
        } catch (NumberFormatException e) {
            throw refused(node, "tensor '" + t.getName() + "' has an external data offset or length that is no number");
        }
        externalBytes += length;
        if (length != count * 4 || offset < 0 || offset + length > Files.size(data) || externalBytes > MAX_BYTES) {
            throw refused(node, "tensor '" + t.getName() + "' has external data of " + length + " bytes at " + offset
                    + " that its dimensions or the file do not allow");
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
            while (bytes.hasRemaining()) {
                if (channel.read(bytes, offset + bytes.position()) < 0) {
                    throw refused(node, "external data '" + location + "' ended early");
                }
            }
        }
        return bytes.flip();
    }

    /** A Clip bound: its input (opset 11 and later) or, for older files, its attribute. */
    private float scalar(Onnx.NodeProto node, int input, String attribute) throws ModelFileException {
        if (node.getInputCount() > input && !node.getInput(input).isEmpty()) {
            Onnx.TensorProto t = constants.get(source(node.getInput(input)));
            if (t == null) {
                throw refused(node, "its bound '" + node.getInput(input) + "' is not a constant");
            }
            try {
                return floats(node, t).getFloat(0);
            } catch (IOException e) {
                throw refused(node, e.getMessage());
            }
        }
        return floatAttribute(node, attribute, Float.NaN);
    }

    private static Onnx.AttributeProto attribute(Onnx.NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElse(null);
    }

    private static long intAttribute(Onnx.NodeProto node, String name, long otherwise) {
        Onnx.AttributeProto a = attribute(node, name);
        return a == null ? otherwise : a.getI();
    }

    private static float floatAttribute(Onnx.NodeProto node, String name, float otherwise) {
        Onnx.AttributeProto a = attribute(node, name);
        return a == null ? otherwise : a.getF();
    }

    private static String stringAttribute(Onnx.NodeProto node, String name, String otherwise) {
        Onnx.AttributeProto a = attribute(node, name);
        return a == null ? otherwise : a.getS().toStringUtf8();
    }

    private static List<Long> intsAttribute(Onnx.NodeProto node, String name) {
        Onnx.AttributeProto a = attribute(node, name);
        return a == null ? List.of() : a.getIntsList();
    }

    private ModelFileException refused(Onnx.NodeProto node, String why) {
        return new ModelFileException(file + ": node '" + node.getName() + "' (" + node.getOpType() + ") does not fit: " + why);
    }
}
