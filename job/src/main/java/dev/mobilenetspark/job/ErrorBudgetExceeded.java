package dev.mobilenetspark.job;

import org.apache.spark.sql.Row;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** More rows failed than {@code --max-error-fraction} allows; the job wrote no table. */
public final class ErrorBudgetExceeded extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param firstErrors rows of image_id, stage, error */
    ErrorBudgetExceeded(long failed, long read, double maxFraction, List<Row> firstErrors) {
        super(String.format(Locale.ROOT, "%d of %d rows failed (%.1f%%), over --max-error-fraction %s; no table was "
                + "written. First errors: %s", failed, read, 100.0 * failed / read, maxFraction,
                firstErrors.stream().map(r -> r.getString(0) + " (" + r.getString(1) + "): " + r.getString(2))
                        .collect(Collectors.joining("; "))));
    }
}
