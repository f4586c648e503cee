package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.model.image.ImageDecoder;

import picocli.CommandLine.Option;

/** {@code --decode-scaling}, shared by the commands that decode images for a model. */
final class DecodeScalingOption {

    @Option(names = "--decode-scaling", defaultValue = "reference", paramLabel = "reference|fast",
            description = "How JPEGs are decoded: reference decodes them as the reference pipelines do (the JDK's"
                    + " libjpeg; FFmpeg for one at least four times the input's side, shrunk by 2, 4 or 8 in the DCT to"
                    + " at least twice that side, but none with the antialiased resize); fast decodes every JPEG FFmpeg"
                    + " takes with it (about half the time, samples within about a level), shrunk while it keeps at"
                    + " least the input's side (default: ${DEFAULT-VALUE}).")
    String scaling;

    /** The option, checked. */
    ImageDecoder.Scaling value() {
        return ImageDecoder.Scaling.parse(scaling);
    }
}
