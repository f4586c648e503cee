package dev.mobilenetspark.model.image;

/**
 * An input that cannot become an image. Unchecked and of one type so that a batch job can turn
 * any bad input into an error row (keyed by {@link #reason()}) and carry on with the next one,
 * instead of telling apart the many exceptions that image readers throw.
 */
public final class ImageDecodeException extends RuntimeException {

    /** Why an input was refused; stable names for error tables and counters. */
    public enum Reason {
        /** Zero bytes. */
        EMPTY,
        /** Not a JPEG, PNG, GIF, BMP or WebP. */
        UNKNOWN_FORMAT,
        /** The header declares more pixels than the budget allows. */
        TOO_MANY_PIXELS,
        /** The data ends before the image does. */
        TRUNCATED,
        /** The reader rejected the data for another reason. */
        CORRUPT
    }

    private final Reason reason;

    ImageDecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    ImageDecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
