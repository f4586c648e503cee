package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.image.ImageDecoder;

import picocli.CommandLine.Option;

/** {@code --decode-scaling}, shared by the commands that decode images for a model. */
final class DecodeScalingOption {

    @Option(names = "--decode-scaling", defaultValue = "reference", paramLabel = "reference|fast",
            description = "How far a JPEG larger than the model needs is shrunk while it is decoded (libjpeg's DCT"
                    + " scaling by 2, 4 or 8): reference keeps at least twice the input's side, so usual photos decode"
                    + " whole as the reference pipelines do; fast keeps at least the input's side (default: ${DEFAULT-VALUE}).")
    String scaling;

    /** The option, checked. */
    ImageDecoder.Scaling value() {
        return ImageDecoder.Scaling.parse(scaling);
    }
}
