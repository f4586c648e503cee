package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.ModelHandler;

import picocli.CommandLine.Option;

/** {@code --precision}, shared by the commands that run a model. */
final class PrecisionOption {

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "Arithmetic of the convolutions: fp32, or bf16 (full and 1x1 convolutions in bfloat16, on CPUs"
                    + " with AVX512-BF16 or AMX; see the README for its cost in accuracy) (default: ${DEFAULT-VALUE}).")
    String precision;

    /** The backend that computes in this precision; bf16 refused here where this machine's CPU cannot. */
    ModelHandler.Backend backend() {
        return ModelHandler.Backend.ofPrecision(precision);
    }
}
