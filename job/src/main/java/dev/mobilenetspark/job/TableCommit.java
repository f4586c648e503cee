package dev.mobilenetspark.job;

import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.DataFrameWriterV2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * One chunk's rows written to one Delta or Iceberg table as one commit of that table, which a
 * retried or resumed chunk never makes twice. Each commit carries the run and the chunk:
 *
 * <ul>
 *   <li>Delta: its own idempotent-write options, {@code txnAppId} = run id and {@code txnVersion}
 *       = chunk. Delta skips a write whose app id has committed that version or a later one, and
 *       checks it in the commit itself, so two runs writing the same chunk at once commit it
 *       once. The chunk's record goes in the commit's {@code userMetadata}.</li>
 *   <li>Iceberg: the snapshot summary ({@code snapshot-property.mobilenet.*}), as Flink's Iceberg
 *       sink keeps its checkpoint id there; a chunk whose snapshot is in the table's history is
 *       not written again. Iceberg checks nothing of the kind at commit time, so this holds for
 *       reruns, not for two runs committing the same chunk at the same moment.</li>
 * </ul>
 * Chunks of a run commit in increasing order, which Delta's rule needs.
 */
final class TableCommit {

    /** The prefix of every key this project puts in a commit's metadata. */
    static final String PREFIX = "mobilenet.";
    static final String RUN_ID = PREFIX + "run-id";
    static final String CHUNK = PREFIX + "chunk";

    private TableCommit() {
    }

    /**
     * Commits {@code rows} as chunk {@code chunk} of run {@code runId} to {@code location}
     * (a path, or a catalog table with {@code byName}), with {@code mode}: Delta by path takes
     * the run's mode in its first write; tables in a catalog exist by then ({@link CatalogRun#start})
     * and are appended to.
     *
     * @param metadata more of the chunk's record, stored with the commit
     */
    static void write(SparkSession spark, Dataset<Row> rows, String format, String location, boolean byName,
                      SaveMode mode, String runId, int chunk, Map<String, String> metadata) {
        Map<String, String> all = new TreeMap<>(metadata);
        all.put(RUN_ID, runId);
        all.put(CHUNK, Integer.toString(chunk));
        switch (format) {
            case "delta" -> {
                DataFrameWriter<Row> writer = rows.write().format("delta").mode(mode)
                        .option("txnAppId", runId).option("txnVersion", chunk)
                        .option("userMetadata", encode(all));
                if (mode == SaveMode.Overwrite) {
                    // The run's first chunk replaces the table, whatever columns it had.
                    writer = writer.option("overwriteSchema", "true");
                }
                if (byName) {
                    writer.saveAsTable(location);
                } else {
                    writer.save(location);
                }
            }
            case "iceberg" -> {
                if (committed(spark, format, location, runId).containsKey(chunk)) {
                    return;
                }
                DataFrameWriterV2<Row> writer = rows.writeTo(location);
                for (Map.Entry<String, String> e : all.entrySet()) {
                    writer = writer.option("snapshot-property." + e.getKey(), e.getValue());
                }
                try {
                    writer.append();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    // NoSuchTableException, which Spark 4 declares and Spark 3.5 does not.
                    throw new IllegalStateException("table " + location + " was dropped during the run", e);
                }
            }
            default -> throw new IllegalArgumentException(format + " tables have no commits of their own");
        }
    }

    /**
     * The chunks of run {@code runId} committed to {@code table} (a catalog table), each with the
     * metadata its commit carries.
     */
    static Map<Integer, Map<String, String>> committed(SparkSession spark, String format, String table, String runId) {
        Map<Integer, Map<String, String>> chunks = new TreeMap<>();
        if (!spark.catalog().tableExists(table)) {
            return chunks;
        }
        boolean delta = format.equals("delta");
        // Iceberg: only snapshots the table's current state descends from; a rolled-back one holds no rows.
        Dataset<Row> commits = delta
                ? spark.sql("DESCRIBE HISTORY " + CatalogRun.quoted(table)).select(col("userMetadata"))
                        .where(col("userMetadata").contains(RUN_ID + "=" + runId))
                : spark.table(table + ".snapshots")
                        .join(spark.table(table + ".history").where(col("is_current_ancestor")).select("snapshot_id"), "snapshot_id")
                        .select(col("summary")).where(col("summary").getItem(RUN_ID).equalTo(runId));
        for (Row r : commits.collectAsList()) {
            Map<String, String> metadata = delta ? decode(r.getString(0))
                    : new TreeMap<>(scala.jdk.javaapi.CollectionConverters.asJava(r.<String, String>getMap(0)));
            metadata.keySet().removeIf(k -> !k.startsWith(PREFIX));
            if (runId.equals(metadata.get(RUN_ID))) {
                chunks.put(Integer.parseInt(metadata.get(CHUNK)), metadata);
            }
        }
        return chunks;
    }

    /** key=value lines, which Delta keeps as one string per commit. */
    private static String encode(Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder();
        metadata.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    private static Map<String, String> decode(String text) {
        Map<String, String> metadata = new TreeMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                metadata.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return metadata;
    }
}
