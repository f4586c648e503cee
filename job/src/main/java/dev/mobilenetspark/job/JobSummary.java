package dev.mobilenetspark.job;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run did, printed at its end as a table and one {@code SUMMARY ...} line for scripts.
 *
 * @param read          input rows read by this attempt
 * @param labelled      rows that got results (labels or embeddings)
 * @param failedByStage error rows per stage (read, decode, preprocess, infer)
 * @param duplicateIds  rows whose image_id another row has too (all are processed and written)
 * @param skipped       input rows this attempt left out: in chunks an earlier attempt committed, or
 *                      (--skip-existing) already in the output
 * @param modelLoads    models materialised on executors
 * @param startupSeconds from JVM start to the first read
 * @param firstBatchSeconds from JVM start to the first batch inferred; -1 if none was
 * @param runSeconds    from the first read to the last table written
 * @param stages        where the run's time went
 * @param written       where each table went, in writing order
 * @param chunks        the run's chunks, and when this attempt committed its first
 */
public record JobSummary(long read, long labelled, Map<String, Long> failedByStage, long duplicateIds, long skipped, long modelLoads,
                  double startupSeconds, double firstBatchSeconds, double runSeconds, StageSeconds stages,
                  List<String> written, Chunks chunks) {

    /**
     * The run's chunks: how many, how many an earlier attempt of the run had committed, the run,
     * and the first chunk this attempt committed with rows in it: its rows read and the seconds
     * from the first read to its commit (-1 if it committed none).
     */
    public record Chunks(int total, int committedBefore, String runId, long firstChunkRows, double firstCommitSeconds) { }

    /**
     * Seconds by stage: reading, decoding with preprocessing and inference are task time summed
     * over the executors' task slots (they overlap, so they can add up to more than the run);
     * writing is the driver's wall time for the tables.
     */
    public record StageSeconds(double read, double decode, double infer, double write) {

        public String format() {
            return String.format(Locale.ROOT, "read %.1f s, decode+preprocess %.1f s, inference %.1f s (task time), write %.1f s",
                    read, decode, infer, write);
        }
    }

    public long failed() {
        return failedByStage.values().stream().mapToLong(Long::longValue).sum();
    }

    public double imagesPerSecond() {
        return runSeconds > 0 ? read / runSeconds : 0;
    }

    /** Images read after the first chunk this attempt committed with rows in it: what {@link #warmImagesPerSecond} counts. */
    public long warmImages() {
        return chunks.firstCommitSeconds() < 0 ? 0 : read - chunks.firstChunkRows();
    }

    /**
     * Images/s after the first chunk this attempt committed with rows in it, to the end: the rate
     * a long run keeps once the JIT, the model and Spark's first queries are warm, which that
     * chunk pays for; -1 when no later chunk read anything. Like {@link #imagesPerSecond} it
     * counts the time of a chunk that a run of the same command beside this one committed
     * first, and the duplicate-id pass at the end, but not their rows.
     */
    public double warmImagesPerSecond() {
        double seconds = runSeconds - chunks.firstCommitSeconds();
        return warmImages() > 0 && seconds > 0 ? warmImages() / seconds : -1;
    }

    public String format() {
        StringBuilder sb = new StringBuilder();
        row(sb, "images read", Long.toString(read));
        row(sb, "labelled", Long.toString(labelled));
        row(sb, "failed", Long.toString(failed()));
        failedByStage.forEach((stage, n) -> row(sb, "  at " + stage, Long.toString(n)));
        row(sb, "duplicate ids", Long.toString(duplicateIds));
        if (skipped > 0) {
            row(sb, "skipped (done)", Long.toString(skipped));
        }
        row(sb, "chunks", chunks.total() + (chunks.committedBefore() > 0
                ? " (" + chunks.committedBefore() + " committed before this attempt)" : ""));
        row(sb, "run", chunks.runId());
        row(sb, "model loads", Long.toString(modelLoads));
        row(sb, "startup", String.format(Locale.ROOT, "%.1f s", startupSeconds));
        row(sb, "first batch", firstBatchSeconds < 0 ? "none inferred"
                : String.format(Locale.ROOT, "%.1f s after launch", firstBatchSeconds));
        row(sb, "wall time", String.format(Locale.ROOT, "%.1f s", runSeconds));
        row(sb, "by stage", stages.format());
        row(sb, "images/s", String.format(Locale.ROOT, "%.1f", imagesPerSecond()));
        if (warmImagesPerSecond() >= 0) {
            row(sb, "warm images/s", String.format(Locale.ROOT, "%.1f (after the first chunk)", warmImagesPerSecond()));
        }
        written.forEach(location -> row(sb, "wrote", location));
        sb.append(String.format(Locale.ROOT,
                "SUMMARY read=%d labelled=%d failed=%d model_loads=%d startup_s=%.1f first_batch_s=%.1f images_per_s=%.1f%n",
                read, labelled, failed(), modelLoads, startupSeconds, firstBatchSeconds, imagesPerSecond()));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, String value) {
        sb.append(String.format(Locale.ROOT, "%-14s %s%n", name, value));
    }
}
