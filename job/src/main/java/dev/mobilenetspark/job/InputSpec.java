package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.List;

/**
 * What to read: a path or glob of image files or Parquet files, a Delta table by path, or a
 * catalog table (Iceberg and Delta tables among them), each row holding an image; or a manifest, whose rows name image files (any Hadoop file system) that
 * executors read.
 *
 * @param format      images, parquet, delta, table, manifest (Parquet or CSV files of paths) or
 *                    manifest-table (a catalog table of paths); resolved: never "auto"
 * @param pathColumn  the column of a manifest that holds each image's path or URI
 * @param keepColumns input columns copied into the labels and errors tables
 * @param partitions  repartition to this many before inference; 0 keeps the input's partitioning
 */
public record InputSpec(String input, String format, String imageColumn, String idColumn, String pathColumn,
                        List<String> keepColumns, boolean recursive, String pathGlobFilter, int partitions) {

    static final List<String> FORMATS = List.of("auto", "images", "parquet", "delta", "table", "manifest",
            "manifest-table");

    /** Column names of the output tables, which a kept input column may not take. */
    private static final List<String> OUTPUT_COLUMNS = List.of("image_id", "source", "label_index", "label", "score",
            "embedding", "stage", "error", "model_id", "arch", "alpha", "resolution", "processed_at", "run_id", "chunk");

    public InputSpec {
        keepColumns = List.copyOf(keepColumns);
        if (!keepColumns.isEmpty() && format.equals("images")) {
            throw new IllegalArgumentException("--keep-columns needs a Parquet, table or manifest input: image files"
                    + " have no columns to keep");
        }
        for (String column : keepColumns) {
            if (OUTPUT_COLUMNS.contains(column)) {
                throw new IllegalArgumentException("--keep-columns cannot keep '" + column + "': the output tables have"
                        + " a column of that name");
            }
        }
        if (keepColumns.stream().distinct().count() < keepColumns.size()) {
            throw new IllegalArgumentException("--keep-columns names a column twice: " + String.join(",", keepColumns));
        }
    }

    /** Whether the rows name image files rather than hold images. */
    boolean isManifest() {
        return format.startsWith("manifest");
    }

    /** What makes two runs' inputs the same one, for resuming: where and how the rows are read. */
    String identity() {
        return String.join(" ", format, input, "image-column=" + imageColumn, "id-column=" + idColumn,
                "path-column=" + pathColumn, "keep=" + String.join(",", keepColumns),
                "recursive=" + recursive, "glob=" + pathGlobFilter);
    }

    /**
     * Checks that the input exists and resolves {@code auto}: Delta when the path is a Delta
     * table (its Parquet files include removed ones), Parquet when it is a Parquet file or a
     * directory holding Parquet files, image files otherwise. Runs on the
     * driver before Spark starts, so a wrong path is reported at once.
     */
    public static String resolveFormat(String input, String format, Configuration conf) throws IOException {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("unknown input format '" + format + "': expected one of "
                    + String.join(", ", FORMATS));
        }
        if (format.equals("table") || format.equals("manifest-table")) {
            return format;
        }
        Path path = new Path(input);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] matches = fs.globStatus(path);
        if (matches == null || matches.length == 0) {
            throw new IllegalArgumentException("input " + input + " does not exist");
        }
        if (!format.equals("auto")) {
            return format;
        }
        if (matches.length == 1 && fs.exists(new Path(matches[0].getPath(), "_delta_log"))) {
            return "delta";
        }
        for (FileStatus match : matches) {
            if (isParquet(match.getPath())) {
                return "parquet";
            }
            if (match.isDirectory()) {
                for (FileStatus child : fs.listStatus(match.getPath())) {
                    if (child.isFile() && isParquet(child.getPath())) {
                        return "parquet";
                    }
                }
            }
        }
        return "images";
    }

    private static boolean isParquet(Path p) {
        return p.getName().endsWith(".parquet");
    }
}
