package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.List;

/**
 * What to read: a path or glob of image files or Parquet files, or a catalog table.
 *
 * @param format     images, parquet or table (resolved: never "auto")
 * @param partitions repartition to this many before inference; 0 keeps the input's partitioning
 */
public record InputSpec(String input, String format, String imageColumn, String idColumn, boolean recursive,
                 String pathGlobFilter, int partitions) {

    static final List<String> FORMATS = List.of("auto", "images", "parquet", "table");

    /** What makes two runs' inputs the same one, for resuming: where and how the rows are read. */
    String identity() {
        return String.join(" ", format, input, "image-column=" + imageColumn, "id-column=" + idColumn,
                "recursive=" + recursive, "glob=" + pathGlobFilter);
    }

    /**
     * Checks that the input exists and resolves {@code auto}: Parquet when the path is a
     * Parquet file or a directory holding Parquet files, image files otherwise. Runs on the
     * driver before Spark starts, so a wrong path is reported at once.
     */
    public static String resolveFormat(String input, String format, Configuration conf) throws IOException {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("unknown input format '" + format + "': expected one of "
                    + String.join(", ", FORMATS));
        }
        if (format.equals("table")) {
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
