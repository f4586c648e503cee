package dev.mobilenetspark.job;

import org.apache.spark.sql.Row;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** More rows failed than the error budget allows; the chunk that went over was not committed. */
public final class ErrorBudgetExceeded extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param firstErrors rows of image_id, stage, error */
    ErrorBudgetExceeded(ErrorBudget budget, long read, long failed, int chunk, int committed, boolean resumable,
                        List<Row> firstErrors) {
        super(String.format(Locale.ROOT, "%d of %d rows failed (%.1f%%), over %s; chunk %d was not committed and the %d"
                        + " committed before it stay: %s. First errors: %s",
                failed, read, 100.0 * failed / read,
                budget.maxErrors() >= 0 && failed > budget.maxErrors() ? "--max-errors " + budget.maxErrors()
                        : "--max-error-fraction " + budget.maxFraction(),
                chunk, committed, resumable ? "fix the input and run the same command to continue"
                        : "a catalog output is not resumed, so fix the input and write it again with --mode overwrite",
                firstErrors.stream().map(r -> r.getString(0) + " (" + r.getString(1) + "): " + r.getString(2))
                        .collect(Collectors.joining("; "))));
    }
}
