package dev.mobilenetspark.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Parses the lower-case names users type for an enum-valued option, naming the choices on a miss. */
public final class OptionNames {

    private OptionNames() {
    }

    /**
     * The value whose {@code name} is {@code text} (case and surrounding spaces ignored).
     *
     * @param what the option, for the message: "unknown {what} 'x': expected one of a, b"
     */
    public static <E extends Enum<E>> E parse(E[] values, Function<E, String> name, String text, String what) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (E value : values) {
            if (name.apply(value).equals(t)) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + text + "': expected one of "
                + Arrays.stream(values).map(name).collect(Collectors.joining(", ")));
    }
}
