package dev.mobilenetspark.job;

import java.util.List;

/**
 * Where the tables go: under a directory ({@code DIR/labels}, ...) or into the session's
 * catalog ({@code DB.NAME_labels}, ...), in which format and with which save mode; with
 * {@code skipExisting} (append only), input rows already in the output for the same model are
 * not processed again. Delta tables go under a directory or into a catalog; Iceberg tables into
 * a catalog only, as Iceberg has no tables by path in Spark's writer.
 */
public record OutputTarget(String directory, String tablePrefix, String format, String mode, boolean skipExisting) {

    static final List<String> FORMATS = List.of("parquet", "orc", "json", "delta", "iceberg");
    /** Formats whose tables commit each write as a transaction of their own. */
    static final List<String> LAKEHOUSE = List.of("delta", "iceberg");
    static final List<String> MODES = List.of("errorifexists", "overwrite", "append");

    public OutputTarget {
        if ((directory == null) == (tablePrefix == null)) {
            throw new IllegalArgumentException("give exactly one of --output DIR and --output-table-prefix DB.NAME");
        }
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("unknown format '" + format + "': expected one of " + String.join(", ", FORMATS));
        }
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("unknown mode '" + mode + "': expected one of " + String.join(", ", MODES));
        }
        if (format.equals("iceberg") && directory != null) {
            throw new IllegalArgumentException("--format iceberg writes into a catalog: give --output-table-prefix"
                    + " CATALOG.DB.NAME (an Iceberg catalog of type hadoop keeps its tables under a directory)");
        }
        if (skipExisting && !mode.equals("append")) {
            throw new IllegalArgumentException("--skip-existing needs --mode append");
        }
    }

    public boolean isCatalog() {
        return tablePrefix != null;
    }

    /** Whether each table write is a Delta or Iceberg commit, rather than files renamed into place. */
    public boolean isLakehouse() {
        return LAKEHOUSE.contains(format);
    }

    public String location(OutputTables.Table table) {
        return isCatalog() ? tablePrefix + "_" + table.suffix() : directory + "/" + table.suffix();
    }
}
