package dev.mobilenetspark.job;

/**
 * How many failed rows a run accepts before it stops: a fraction of the rows seen, judged once
 * {@link #MIN_ROWS} have been seen (or the whole input, if smaller), and an absolute cap judged
 * at once.
 *
 * @param maxFraction failed rows over rows seen; 1 accepts everything
 * @param maxErrors   failed rows at most; -1 for no cap
 */
public record ErrorBudget(double maxFraction, long maxErrors) {

    /** Rows seen before the fraction is judged: a few broken files at the start say little. */
    public static final long MIN_ROWS = 1_000;

    public ErrorBudget {
        if (!(maxFraction >= 0 && maxFraction <= 1)) {
            throw new IllegalArgumentException("--max-error-fraction must be between 0 and 1, got " + maxFraction);
        }
        if (maxErrors < -1) {
            throw new IllegalArgumentException("--max-errors must be 0 or more, got " + maxErrors);
        }
    }

    /** Whether {@code failed} of {@code read} rows is over budget; {@code whole} when every row has been seen. */
    boolean exceeded(long read, long failed, boolean whole) {
        if (maxErrors >= 0 && failed > maxErrors) {
            return true;
        }
        return (read >= MIN_ROWS || whole) && read > 0 && (double) failed / read > maxFraction;
    }
}
