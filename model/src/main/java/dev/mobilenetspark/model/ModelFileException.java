package dev.mobilenetspark.model;

import java.io.IOException;

/** A model file that cannot be used: not ours, truncated, corrupt, or not matching its configuration. */
public final class ModelFileException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
        super(message);
    }
}
