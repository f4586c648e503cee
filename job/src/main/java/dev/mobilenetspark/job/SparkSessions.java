package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The session a run uses: an existing one (tests, notebooks), the one spark-submit configured,
 * or, when nothing names a master, an embedded {@code local[*]} with the UI off and the console
 * progress bar on.
 */
public final class SparkSessions {

    private static final String DELTA_SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions";

    private SparkSessions() {
    }

    /**
     * The session, and whether this call created it: closing the handle stops a session it
     * created and leaves one it found (a test's, a notebook's) running.
     */
    public record Handle(SparkSession session, boolean created) implements AutoCloseable {

        @Override
        public void close() {
            if (created) {
                session.stop();
            }
        }
    }

    /**
     * The Hadoop configuration of the driver before Spark starts, as Spark builds its own: the
     * {@code spark.hadoop.*} settings (credentials, fs.defaultFS) apply to the file systems whose
     * paths are checked here, before any session exists.
     */
    public static Configuration hadoopConfiguration() {
        Configuration hadoop = new Configuration();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
                .forEach(k -> hadoop.set(k.substring("spark.hadoop.".length()), System.getProperty(k)));
        return hadoop;
    }

    public static Handle getOrCreate() {
        return getOrCreate("parquet");
    }

    /**
     * The session for tables in {@code format}: an embedded one for Delta gets Delta's SQL
     * extension and catalog, unless the settings name others.
     */
    public static Handle getOrCreate(String format) {
        if (SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined()) {
            return new Handle(SparkSession.builder().getOrCreate(), false);
        }
        SparkConf conf = new SparkConf(true);
        SparkSession.Builder builder = SparkSession.builder().appName("mobilenet-spark");
        if (!conf.contains("spark.master")) {
            builder = builder.master("local[*]")
                    .config("spark.ui.enabled", false)
                    .config("spark.ui.showConsoleProgress", true);
            if (format.equals("delta") && !conf.contains("spark.sql.extensions")
                    && !conf.contains("spark.sql.catalog.spark_catalog")) {
                builder = builder.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
            }
            if (format.equals("delta") && !conf.contains(DELTA_SNAPSHOT_PARTITIONS)) {
                // Delta rebuilds a table's state in 50 tasks after each commit and read, sized for
                // clusters: on one machine those tasks took longer than the chunk's own writes.
                builder = builder.config(DELTA_SNAPSHOT_PARTITIONS, Runtime.getRuntime().availableProcessors());
            }
        }
        return new Handle(builder.getOrCreate(), true);
    }
}
