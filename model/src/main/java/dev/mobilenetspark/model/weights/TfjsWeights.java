package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.ModelFileException;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a TensorFlow.js model: a {@code model.json} (layers format: a Keras topology
 * plus {@code weightsManifest}) or a standalone {@code *weights_manifest.json}. Each manifest
 * group's shards are concatenated in order and cut into its tensors in order; shard paths are
 * resolved relative to the manifest, exactly as listed. Every tensor comes out as float32 in
 * TensorFlow's layout (conv kernels [kh, kw, in, out], depthwise [kh, kw, in, multiplier], dense
 * [in, out]).
 *
 * <p>Stored types: float32 and int32; float16; and affine-quantized uint8 / uint16, where
 * {@code value = q * scale + min} is computed in double and rounded once to float32, as
 * TensorFlow.js' own dequantization was reproduced by the reference outputs (in float32
 * arithmetic a V1 embedding moved by 1.7e-4).
 *
 */
public final class TfjsWeights {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TfjsWeights() {
    }

    /**
     * Reads {@code manifest} and the shards it lists; the topology is a {@code model.json}'s
     * Keras model, null for a standalone manifest.
     */
    public static NamedWeights read(Path manifest) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new ModelFileException(manifest + " is not a TensorFlow.js model or weights manifest: " + e.getMessage());
        }
        JsonNode groups = root.isArray() ? root : root.path("weightsManifest");
        if (!groups.isArray() || groups.isEmpty()) {
            throw new ModelFileException(manifest + " has no weights manifest (neither a model.json with "
                    + "'weightsManifest' nor a *weights_manifest.json array)");
        }
        Path dir = manifest.toAbsolutePath().getParent();
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (JsonNode group : groups) {
            ByteBuffer data = ByteBuffer.wrap(concatenate(dir, group.path("paths"))).order(ByteOrder.LITTLE_ENDIAN);
            for (JsonNode spec : group.path("weights")) {
                String name = spec.path("name").asText();
                if (tensors.containsKey(name)) {
                    throw new ModelFileException("tensor '" + name + "' appears twice in " + manifest);
                }
                tensors.put(name, tensor(spec, data, manifest));
            }
            if (data.hasRemaining()) {
                throw new ModelFileException("the shards of " + manifest + " hold " + data.remaining()
                        + " bytes more than its tensors need");
            }
        }
        return new NamedWeights(tensors, root.isArray() ? null : root.get("modelTopology"));
    }

    private static byte[] concatenate(Path dir, JsonNode paths) throws IOException {
        if (!paths.isArray() || paths.isEmpty()) {
            throw new ModelFileException("a weights group lists no shard files");
        }
        List<byte[]> shards = new ArrayList<>();
        int total = 0;
        for (JsonNode p : paths) {
            Path shard = dir.resolve(p.asText());
            if (!Files.isRegularFile(shard)) {
                throw new ModelFileException("weights shard " + shard + " is missing");
            }
            byte[] bytes = Files.readAllBytes(shard);
            shards.add(bytes);
            total = Math.addExact(total, bytes.length);
        }
        byte[] all = new byte[total];
        int at = 0;
        for (byte[] b : shards) {
            System.arraycopy(b, 0, all, at, b.length);
            at += b.length;
        }
        return all;
    }

    private static INDArray tensor(JsonNode spec, ByteBuffer data, Path manifest) throws ModelFileException {
        String name = spec.path("name").asText();
        JsonNode shapeNode = spec.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new ModelFileException("tensor '" + name + "' has an invalid shape " + shapeNode);
            }
            count = Math.multiplyExact(count, shape[i]);
        }
        JsonNode quantization = spec.get("quantization");
        String stored = quantization != null ? quantization.path("dtype").asText() : spec.path("dtype").asText();
        int width = switch (stored) {
            case "float32", "int32" -> 4;
            case "float16", "uint16" -> 2;
            case "uint8" -> 1;
            default -> throw new ModelFileException("tensor '" + name + "' has an unsupported dtype '" + stored + "'");
        };
        long bytes = count * width;
        if (bytes > data.remaining()) {
            throw new ModelFileException("tensor '" + name + "' needs " + bytes + " bytes but the shards of "
                    + manifest + " have only " + data.remaining() + " left");
        }
        float[] values = new float[(int) count];
        double scale = quantization != null ? quantization.path("scale").asDouble(Double.NaN) : Double.NaN;
        double min = quantization != null ? quantization.path("min").asDouble(Double.NaN) : Double.NaN;
        if (stored.startsWith("uint") && (Double.isNaN(scale) || Double.isNaN(min))) {
            throw new ModelFileException("tensor '" + name + "' is quantized without a scale and min");
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (stored) {
                case "float32" -> data.getFloat();
                case "int32" -> data.getInt();
                case "float16" -> halfToFloat(data.getShort());
                case "uint16" -> (float) ((data.getShort() & 0xFFFF) * scale + min);
                default -> (float) ((data.get() & 0xFF) * scale + min);
            };
        }
        return Nd4j.create(values, shape, DataType.FLOAT);
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
