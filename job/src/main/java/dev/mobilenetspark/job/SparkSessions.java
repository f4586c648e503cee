package dev.mobilenetspark.job;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The session a run uses: an existing one (tests, notebooks), the one spark-submit configured,
 * or, when nothing names a master, an embedded {@code local[*]} with the UI off and the console
 * progress bar on.
 */
public final class SparkSessions {

    private SparkSessions() {
    }

    /** True when this call created the session, so the caller should stop it at the end. */
    public record Handle(SparkSession session, boolean created) { }

    public static Handle getOrCreate() {
        if (SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined()) {
            return new Handle(SparkSession.builder().getOrCreate(), false);
        }
        SparkSession.Builder builder = SparkSession.builder().appName("mobilenet-spark");
        if (!new SparkConf(true).contains("spark.master")) {
            builder = builder.master("local[*]")
                    .config("spark.ui.enabled", false)
                    .config("spark.ui.showConsoleProgress", true);
        }
        return new Handle(builder.getOrCreate(), true);
    }
}
