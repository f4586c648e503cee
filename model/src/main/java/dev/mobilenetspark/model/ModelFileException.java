package dev.mobilenetspark.model;

import java.io.IOException;

/**
 * A model that cannot be used: a file that is neither ours nor weights we can import, truncated,
 * corrupt, or weights that do not fit the architecture they claim; the message names the problem.
 */
public final class ModelFileException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
        super(message);
    }
}
