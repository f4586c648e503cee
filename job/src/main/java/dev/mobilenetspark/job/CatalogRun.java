package dev.mobilenetspark.job;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A run whose tables are in a catalog. Delta and Iceberg tables keep the run's state in
 * themselves: the run log as properties of the errors table ({@code mobilenet.run-id},
 * {@code mobilenet.state}, ...), and each chunk as one commit per table that carries the run
 * and the chunk ({@link TableCommit}). A chunk is committed once every table has its commit, so
 * the same command continues an unfinished run, as it does in an output directory. Tables of
 * other formats (Parquet, ORC, JSON through saveAsTable) keep no such state: each command is a
 * new run.
 */
final class CatalogRun {

    private static final String LOG = TableCommit.PREFIX;

    private final SparkSession spark;
    private final OutputTarget target;
    private final List<OutputTables.Table> tables;

    CatalogRun(SparkSession spark, OutputTarget target, List<OutputTables.Table> tables) {
        this.spark = spark;
        this.target = target;
        this.tables = tables;
    }

    /**
     * What the command does with the tables: continues an unfinished run of the same model on
     * the same input, or starts one; refuses existing tables under {@code errorifexists} and an
     * unfinished run of another model or input.
     */
    ChunkedOutput.Run begin(String modelId, String input) {
        Map<String, String> log = target.isLakehouse() ? runLog() : Map.of();
        String state = log.get(LOG + "state");
        if (!target.mode().equals("overwrite") && state != null && !state.equals("complete")) {
            if (!modelId.equals(log.get(LOG + "model-id")) || !input.equals(log.get(LOG + "input"))) {
                throw new IllegalArgumentException("table " + target.location(OutputTables.Table.ERRORS)
                        + " holds an unfinished run of model " + log.get(LOG + "model-id") + " on input "
                        + log.get(LOG + "input") + "; run that command again to finish it, or use --mode overwrite to start over");
            }
            return new ChunkedOutput.Run(log.get(LOG + "run-id"), 0, true);
        }
        if (target.mode().equals("errorifexists")) {
            for (OutputTables.Table table : tables) {
                if (spark.catalog().tableExists(target.location(table))) {
                    throw new IllegalArgumentException("table " + target.location(table) + " already exists;"
                            + " choose another --output-table-prefix or --mode overwrite or append");
                }
            }
        }
        return new ChunkedOutput.Run(UUID.randomUUID().toString(), 0, false);
    }

    /**
     * Creates, replaces or keeps the run's tables as its mode says, with the columns of
     * {@code rows} (one set per table), before any chunk is written, and records the run: a
     * driver killed after this leaves tables that the same command continues.
     */
    void start(Map<OutputTables.Table, Dataset<Row>> rows, Properties log, boolean resumed) {
        if (!target.isLakehouse()) {
            return;
        }
        // A resumed run makes what a driver killed half-way through this left missing.
        SaveMode mode = resumed ? SaveMode.Append : OutputTables.saveMode(target.mode());
        // The errors table, which keeps the run log, first, and the log at once: a rerun then
        // finds this run whatever else is missing.
        List<OutputTables.Table> order = new java.util.ArrayList<>(tables);
        order.sort(java.util.Comparator.comparing(t -> t != OutputTables.Table.ERRORS));
        for (OutputTables.Table table : order) {
            String location = target.location(table);
            Dataset<Row> empty = rows.get(table).limit(0);
            if (mode == SaveMode.Append && spark.catalog().tableExists(location)) {
                continue;
            }
            if (target.format().equals("iceberg")) {
                if (mode == SaveMode.Overwrite) {
                    empty.writeTo(location).createOrReplace();
                } else {
                    try {
                        empty.writeTo(location).create();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        // TableAlreadyExistsException, which Spark 4 declares and Spark 3.5 does not.
                        throw new IllegalArgumentException("table " + location + " was created by someone else during the run", e);
                    }
                }
            } else {
                var writer = empty.write().format(target.format()).mode(mode);
                if (mode == SaveMode.Overwrite && target.format().equals("delta")) {
                    writer = writer.option("overwriteSchema", "true");
                }
                writer.saveAsTable(location);
            }
            if (table == OutputTables.Table.ERRORS) {
                writeRunLog(log);
            }
        }
    }

    /**
     * The run log, as the errors table's properties, replacing an earlier run's (its keys this
     * log has not, such as a failure's reason, are removed); nothing for tables that keep no state.
     */
    void writeRunLog(Properties log) {
        if (!target.isLakehouse()) {
            return;
        }
        String errors = quoted(target.location(OutputTables.Table.ERRORS));
        List<String> keys = log.stringPropertyNames().stream().filter(k -> !k.startsWith("option.") && !k.startsWith("setting."))
                .sorted().toList();
        List<String> stale = runLog().keySet().stream().filter(k -> !keys.contains(k.substring(LOG.length()))).toList();
        if (!stale.isEmpty()) {
            spark.sql("ALTER TABLE " + errors + " UNSET TBLPROPERTIES IF EXISTS ("
                    + stale.stream().map(CatalogRun::quote).collect(Collectors.joining(", ")) + ")");
        }
        spark.sql("ALTER TABLE " + errors + " SET TBLPROPERTIES ("
                + keys.stream().map(k -> quote(LOG + k) + " = " + quote(log.getProperty(k))).collect(Collectors.joining(", ")) + ")");
    }

    /** The chunks of run {@code runId} that every table has committed, with their records. */
    Map<Integer, ChunkedOutput.ChunkRecord> committed(String runId) {
        Map<Integer, ChunkedOutput.ChunkRecord> done = new TreeMap<>();
        if (!target.isLakehouse()) {
            return done;
        }
        Map<Integer, Map<String, String>> common = null;
        for (OutputTables.Table table : tables) {
            Map<Integer, Map<String, String>> chunks = TableCommit.committed(spark, target.format(), target.location(table), runId);
            if (common == null) {
                common = chunks;
            } else {
                common.keySet().retainAll(chunks.keySet());
            }
        }
        common.forEach((chunk, metadata) -> done.put(chunk, record(metadata)));
        return done;
    }

    /** A chunk's record as a commit's metadata, prefixed. */
    static Map<String, String> metadata(ChunkedOutput.ChunkRecord record) {
        Map<String, String> m = new TreeMap<>();
        m.put(LOG + "files", record.files());
        m.put(LOG + "read", Long.toString(record.read()));
        m.put(LOG + "labelled", Long.toString(record.labelled()));
        record.failedByStage().forEach((stage, n) -> m.put(LOG + "failed." + stage, Long.toString(n)));
        return m;
    }

    private static ChunkedOutput.ChunkRecord record(Map<String, String> m) {
        Map<String, Long> failed = new TreeMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(LOG + "failed.")) {
                failed.put(k.substring((LOG + "failed.").length()), Long.parseLong(v));
            }
        });
        return new ChunkedOutput.ChunkRecord(m.getOrDefault(LOG + "files", ""), Long.parseLong(m.get(LOG + "read")),
                Long.parseLong(m.get(LOG + "labelled")), failed);
    }

    private Map<String, String> runLog() {
        String errors = target.location(OutputTables.Table.ERRORS);
        Map<String, String> log = new TreeMap<>();
        if (!spark.catalog().tableExists(errors)) {
            return log;
        }
        for (Row r : spark.sql("SHOW TBLPROPERTIES " + quoted(errors)).collectAsList()) {
            if (r.getString(0).startsWith(LOG)) {
                log.put(r.getString(0), r.getString(1));
            }
        }
        return log;
    }

    /** {@code s} as a SQL string literal. */
    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * A table name as the user gave it (which saveAsTable parses), as SQL text: each part of it
     * a quoted identifier, so that no name is read as anything else.
     */
    static String quoted(String table) {
        scala.collection.immutable.Seq<String> parts;
        try {
            parts = CatalystSqlParser$.MODULE$.parseMultipartIdentifier(table);
        } catch (Exception e) {
            // ParseException, which Scala does not declare.
            throw new IllegalArgumentException("'" + table + "' is not a table name: " + e.getMessage(), e);
        }
        return scala.jdk.javaapi.CollectionConverters.asJava(parts).stream()
                .map(part -> "`" + part.replace("`", "``") + "`").collect(Collectors.joining("."));
    }
}
