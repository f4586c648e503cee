package dev.mobilenetspark.job;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.Serializable;

/**
 * An input row's image bytes, on an executor: the {@code image} column, or for image files and
 * manifests the file at {@code path}, read through Hadoop's file system API so that a vanished
 * or unreadable file is an exception for its one row.
 */
final class ImageBytes implements Serializable {

    private static final long serialVersionUID = 1L;

    private final long maxFileBytes;
    private final Broadcast<SerializableConfiguration> hadoopConf;

    ImageBytes(long maxFileBytes, Broadcast<SerializableConfiguration> hadoopConf) {
        this.maxFileBytes = maxFileBytes;
        this.hadoopConf = hadoopConf;
    }

    /** The bytes of {@code row} (of {@link ImageSource#COLUMNS}). */
    byte[] of(Row row) throws IOException {
        String path = row.getAs("path");
        if (path != null) {
            return readFile(path, row.getAs("length"));
        }
        byte[] bytes = row.getAs("image");
        if (bytes == null || bytes.length == 0) {
            throw new IOException(bytes == null ? "the image cell is null" : "the image cell is empty");
        }
        return bytes;
    }

    /**
     * The file's bytes. {@code listed} is its length when the driver listed it, so the file
     * system is not asked again; a manifest's file is read to its end instead of being asked
     * its length first (one request, not two, on an object store).
     */
    private byte[] readFile(String path, Long listed) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(hadoopConf.value().value());
        long limit = maxFileBytes;
        if (listed != null && listed > limit) {
            throw new IOException("the file has " + listed + " bytes, over the limit of " + limit);
        }
        try (FSDataInputStream in = fs.open(p)) {
            if (listed == null) {
                byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
                if (bytes.length > limit) {
                    throw new IOException("the file has more than " + limit + " bytes, over the limit");
                }
                return bytes;
            }
            byte[] bytes = new byte[(int) (long) listed];
            in.readFully(0, bytes);
            if (in.read(listed, new byte[1], 0, 1) > 0) {
                throw new IOException("the file has grown since it was listed with " + listed + " bytes");
            }
            return bytes;
        }
    }
}
