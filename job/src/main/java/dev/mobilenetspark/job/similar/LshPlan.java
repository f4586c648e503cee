package dev.mobilenetspark.job.similar;

/**
 * How many of MLlib's bucketed random projections a search uses, and how they are banded, so
 * that a pair at the threshold is missed with probability at most {@link #MAX_MISS}.
 *
 * <p>MLlib's {@code approxSimilarityJoin} makes two vectors candidates when any single
 * projection puts them in one bucket. In the 1,024 to 1,280 dimensions of an embedding, one
 * projection separates a near pair from an unrelated one by little (their distances differ by
 * 2-3x, their projections' spread too), so nearly every pair becomes a candidate. Here the
 * projections are grouped into {@code bands} of {@code perBand}: a pair is a candidate when all
 * projections of some band agree (AND within a band, OR across bands), which keeps the recall
 * and drops most unrelated pairs.
 *
 * <p>A unit vector's projection on a random unit direction differs between two vectors at
 * distance r by about N(0, r^2 / d); with buckets {@code BUCKET_SPREADS} such spreads wide
 * (at the threshold's distance), one projection keeps a pair at the threshold together with
 * probability {@link #collision(double)}, about 0.80, and closer pairs more often.
 *
 * @param bucketLength MLlib's bucket length
 * @param perBand      projections that must all agree
 * @param bands        groups of projections, any one of which makes a candidate
 */
public record LshPlan(double bucketLength, int perBand, int bands) {

    /** Largest chance that a pair exactly at the threshold is never a candidate. */
    public static final double MAX_MISS = 1e-3;
    static final double BUCKET_SPREADS = 4;
    static final int MAX_BANDS = 64;

    /**
     * The least threshold the plan holds its miss rate at. MLlib's buckets have no random
     * offset; from 0.85 up they are narrow enough beside the spread of unit vectors' projections
     * that the offset-averaged {@link #collision} holds (tested at 0.9); below, a bucket is about
     * the sign of a projection and pairs at the threshold are missed more often.
     */
    public static final double MIN_THRESHOLD = 0.85;

    /** The plan for pairs of cosine at least {@code threshold} among unit vectors of {@code dimensions}. */
    public static LshPlan forThreshold(double threshold, int dimensions) {
        if (threshold < MIN_THRESHOLD) {
            throw new IllegalArgumentException("the LSH search keeps its recall from a threshold of " + MIN_THRESHOLD
                    + " up; use --method exact for " + threshold);
        }
        double distance = Math.sqrt(Math.max(2 - 2 * threshold, 1e-12));
        double bucket = BUCKET_SPREADS * distance / Math.sqrt(dimensions);
        double p = collision(BUCKET_SPREADS);
        int perBand = 1;
        while (bandsFor(Math.pow(p, perBand + 1)) <= MAX_BANDS) {
            perBand++;
        }
        return new LshPlan(bucket, perBand, bandsFor(Math.pow(p, perBand)));
    }

    public int hashTables() {
        return perBand * bands;
    }

    /** The chance that a pair at the threshold is never a candidate under this plan. */
    public double missProbability() {
        return Math.pow(1 - Math.pow(collision(BUCKET_SPREADS), perBand), bands);
    }

    private static int bandsFor(double bandCollision) {
        return (int) Math.ceil(Math.log(MAX_MISS) / Math.log1p(-bandCollision));
    }

    /**
     * The chance that one projection puts two points in one bucket when their projections differ
     * by N(0, s^2) and the bucket is {@code u} s wide: E[max(0, 1 - |X| / u)], X ~ N(0, 1).
     */
    static double collision(double u) {
        return 1 - 2 * normalTail(u) - 2 / (Math.sqrt(2 * Math.PI) * u) * (1 - Math.exp(-u * u / 2));
    }

    /** P(X > x) for a standard normal X (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
    private static double normalTail(double x) {
        double t = 1 / (1 + 0.3275911 * x / Math.sqrt(2));
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return 0.5 * poly * Math.exp(-x * x / 2);
    }
}
