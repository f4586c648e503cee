package dev.mobilenetspark.job.similar;

import dev.mobilenetspark.job.SparkSessions;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.udf;

/**
 * Time and shuffle of {@code similar}'s searches on synthetic embeddings: N vectors of D floats
 * in clusters of 8 around random centres (so that near pairs exist), made inside Spark from
 * their index, never held whole; the pairs and groups are written as {@code similar} writes them.
 * Not a test: prints a table.
 *
 * <pre>
 * java -cp ... dev.mobilenetspark.job.similar.SimilarityBenchmark 100000,1000000 1280 0.95 lsh /tmp/similar-bench
 * </pre>
 */
public final class SimilarityBenchmark {

    private SimilarityBenchmark() {
    }

    public static void main(String[] args) {
        try (SparkSessions.Handle handle = SparkSessions.getOrCreate()) {
            run(handle.session(), args);
        }
    }

    private static void run(SparkSession spark, String[] args) {
        List<Long> sizes = java.util.Arrays.stream(args[0].split(",")).map(Long::parseLong).toList();
        int dimensions = Integer.parseInt(args[1]);
        double threshold = Double.parseDouble(args[2]);
        String method = args[3];
        String work = args[4];
        AtomicLong shuffleWritten = new AtomicLong();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) {
                    shuffleWritten.addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
                }
            }
        });
        System.out.println(String.format(Locale.ROOT, "%10s %6s %9s %7s %12s %10s %10s %12s", "vectors", "dims", "threshold",
                "method", "pairs", "groups", "seconds", "shuffle_MB"));
        for (long n : sizes) {
            Dataset<Row> vectors = SimilaritySearch.unitVectors(synthetic(spark, n, dimensions));
            shuffleWritten.set(0);
            long start = System.nanoTime();
            SimilaritySearch.Pairs result = SimilaritySearch.pairs(spark, vectors,
                    new SimilaritySearch.Settings(threshold, method, 0, 1));
            String written = work + "/" + n + "-" + method;
            result.pairs().write().mode("overwrite").parquet(written + "/pairs");
            Dataset<Row> pairRows = spark.read().parquet(written + "/pairs");
            SimilaritySearch.groups(spark, vectors.select("image_id"), pairRows).write().mode("overwrite")
                    .parquet(written + "/groups");
            long pairs = pairRows.count();
            long groups = spark.read().parquet(written + "/groups").select("group_id").distinct().count();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(String.format(Locale.ROOT, "%10d %6d %9.3f %7s %12d %10d %10.1f %12.1f", n, dimensions,
                    threshold, result.method(), pairs, groups, seconds, shuffleWritten.get() / 1e6));
        }
    }

    /** Vector i: centre of cluster i / 8 (seeded by the cluster) plus noise seeded by i. */
    static Dataset<Row> synthetic(SparkSession spark, long n, int dimensions) {
        UDF1<Long, float[]> vector = id -> {
            Random centre = new Random(id / 8 * 0x9E3779B97F4A7C15L);
            Random noise = new Random(id);
            double scale = 0.05 + 0.05 * (id % 8);
            float[] v = new float[dimensions];
            for (int d = 0; d < dimensions; d++) {
                v[d] = (float) (centre.nextGaussian() + scale * noise.nextGaussian());
            }
            return v;
        };
        return spark.range(n).select(expr("format_string('v%09d', id)").as("image_id"),
                udf(vector, DataTypes.createArrayType(DataTypes.FloatType)).apply(col("id")).as("embedding"));
    }
}
