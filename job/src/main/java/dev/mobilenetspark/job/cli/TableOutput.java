package dev.mobilenetspark.job.cli;

import org.apache.hadoop.conf.Configuration;
import dev.mobilenetspark.job.TableWriter;

import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;

/** {@code --format} and {@code --mode} of the commands that write whole small tables (similar, geo-*). */
final class TableOutput {

    private static final List<String> FORMATS = List.of("parquet", "orc", "json", "csv", "delta");

    @Option(names = "--format", defaultValue = "parquet", description = "parquet, orc, json, csv or delta (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--mode", defaultValue = "errorifexists", description = "errorifexists or overwrite (default: ${DEFAULT-VALUE}).")
    String mode;

    /** Checks the options, and that none of {@code paths} exists unless it may be replaced. */
    void check(Configuration hadoop, String... paths) throws IOException {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("--format must be one of " + String.join(", ", FORMATS) + ", got '" + format + "'");
        }
        if (!List.of("errorifexists", "overwrite").contains(mode)) {
            throw new IllegalArgumentException("--mode must be errorifexists or overwrite, got '" + mode + "'");
        }
        if (mode.equals("errorifexists")) {
            for (String p : paths) {
                Path path = new Path(p);
                if (path.getFileSystem(hadoop).exists(path)) {
                    throw new IllegalArgumentException("output " + path + " exists; use --mode overwrite to replace it");
                }
            }
        }
    }

    /**
     * The writer these options describe. Commands keep Spark's types out of their own and their
     * mixins' signatures: picocli reads those, and --help must load nothing of Spark.
     */
    TableWriter writer() {
        return new TableWriter(format, mode);
    }
}
