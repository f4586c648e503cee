package dev.mobilenetspark.model;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Class names: line N of a UTF-8 file names class N. A model without names reports
 * {@code class_N}, so every output row still says which class it means.
 */
public final class Labels {

    private final List<String> names;

    private Labels(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** No names: every class is called {@code class_N}. */
    public static Labels none() {
        return new Labels(List.of());
    }

    public static Labels of(List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null || names.get(i).isBlank()) {
                throw new IllegalArgumentException("label " + i + " is empty");
            }
        }
        return new Labels(names);
    }

    /** Larger labels files are refused: 16 MB holds a million long class names. */
    public static final long MAX_FILE_BYTES = 16L << 20;

    /**
     * Reads a labels file of at most {@link #MAX_FILE_BYTES}; a trailing empty line is allowed,
     * an empty line inside is not.
     */
    public static Labels read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("labels file " + file + " has " + size + " bytes, over the limit of "
                    + MAX_FILE_BYTES);
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses labels file content; {@code source} names it in error messages. */
    public static Labels parse(byte[] utf8, String source) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("labels file " + source + " is not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                throw new IllegalArgumentException("labels file " + source + ": line " + (i + 1) + " is empty");
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("labels file " + source + " has no labels");
        }
        return new Labels(lines);
    }

    /** UTF-8 bytes, one name per line: what {@link #parse} reads back. */
    public byte[] toUtf8() {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append(n).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public boolean isEmpty() {
        return names.isEmpty();
    }

    public int size() {
        return names.size();
    }

    public String name(int index) {
        return index < names.size() ? names.get(index) : "class_" + index;
    }

    /** Fails unless there is no name at all or exactly one per class. */
    public void checkMatches(int classes) {
        if (!names.isEmpty() && names.size() != classes) {
            throw new IllegalArgumentException("labels file has " + names.size() + " names but the model has "
                    + classes + " classes");
        }
    }
}
