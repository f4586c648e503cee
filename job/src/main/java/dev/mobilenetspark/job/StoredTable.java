package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * A table a command reads that {@code infer} (or the user) wrote: a directory in any format
 * {@code infer} writes (Parquet, ORC, JSON, Delta), CSV files with a header, or a catalog table.
 * The format is found from the files before Spark starts, so a wrong path is reported at once.
 *
 * @param location a path or URI, or a table name when {@code format} is {@code table}
 * @param format   parquet, orc, json, csv, delta or table
 */
public record StoredTable(String location, String format) {

    private static final List<String> FILE_FORMATS = List.of("parquet", "orc", "json", "csv");

    /**
     * Finds what {@code location} holds: a Delta table (its {@code _delta_log}), or files whose
     * name ends in a format's extension (in partition directories too); a name that is not an
     * existing path is taken for a catalog table. {@code option} names the argument in errors.
     */
    public static StoredTable resolve(String location, String option, Configuration conf) throws IOException {
        Path path = new Path(location);
        FileSystem fs = path.getFileSystem(conf);
        if (!fs.exists(path)) {
            if (location.matches("[A-Za-z_][\\w.`]*") && !location.endsWith(".csv") && !location.endsWith(".parquet")) {
                return new StoredTable(location, "table");
            }
            throw new IllegalArgumentException(option + " " + location + " does not exist");
        }
        if (fs.exists(new Path(path, "_delta_log"))) {
            return new StoredTable(location, "delta");
        }
        FileStatus status = fs.getFileStatus(path);
        if (status.isFile()) {
            return new StoredTable(location, formatOf(path.getName(), option, location));
        }
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(path, true);
        while (files.hasNext()) {
            Path file = files.next().getPath();
            if (isData(path, file)) {
                return new StoredTable(location, formatOf(file.getName(), option, location));
            }
        }
        throw new IllegalArgumentException(option + " " + location + " holds no Parquet, ORC, JSON, CSV or Delta table");
    }

    /** A file of the table, not a hidden one (_SUCCESS, .crc, _staging-*, _delta_log). */
    private static boolean isData(Path root, Path file) {
        for (Path p = file; p != null && !p.equals(root) && p.getParent() != null; p = p.getParent()) {
            if (p.getName().startsWith("_") || p.getName().startsWith(".")) {
                return false;
            }
        }
        return true;
    }

    private static String formatOf(String name, String option, String location) {
        String lower = name.toLowerCase(Locale.ROOT).replaceFirst("\\.(gz|bz2|deflate|snappy|zstd|lz4)$", "");
        for (String format : FILE_FORMATS) {
            if (lower.endsWith("." + format)) {
                return format;
            }
        }
        throw new IllegalArgumentException(option + " " + location + ": cannot tell the format of " + name
                + " (expected .parquet, .orc, .json or .csv files, or a Delta table)");
    }

    /** The table's rows; CSV is read with its header, every column a string. */
    public Dataset<Row> read(SparkSession spark) {
        return switch (format) {
            case "table" -> spark.table(location);
            case "csv" -> spark.read().option("header", true).csv(location);
            default -> spark.read().format(format).load(location);
        };
    }
}
