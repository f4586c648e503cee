package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.runtime.NativeForwardPass;

import picocli.CommandLine.Option;

/** {@code --precision}, shared by the commands that run a model. */
final class PrecisionOption {

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "Arithmetic of the convolutions: fp32, or bf16 (full and 1x1 convolutions in bfloat16, on CPUs"
                    + " with AVX512-BF16 or AMX; see the README for its cost in accuracy) (default: ${DEFAULT-VALUE}).")
    String precision;

    /** The backend that computes in this precision; bf16 refused here where this machine's CPU cannot. */
    ModelHandler.Backend backend() {
        return switch (precision) {
            case "fp32" -> ModelHandler.Backend.NATIVE;
            case "bf16" -> {
                if (!NativeForwardPass.supportsBf16()) {
                    throw new IllegalArgumentException("--precision bf16 needs a CPU with AVX512-BF16 or AMX, which this"
                            + " machine's has not; use fp32");
                }
                yield ModelHandler.Backend.NATIVE_BF16;
            }
            default -> throw new IllegalArgumentException("--precision must be fp32 or bf16, got '" + precision + "'");
        };
    }
}
