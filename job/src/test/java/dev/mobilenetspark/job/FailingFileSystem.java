package dev.mobilenetspark.job;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;

/**
 * The local file system under the scheme {@code failfs}, except that creating a data file of a
 * staged embeddings table fails: a run that dies while writing its output, after its labels
 * were staged and before anything was published.
 */
public final class FailingFileSystem extends RawLocalFileSystem {

    static final String SCHEME = "failfs";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    /** Every create and append of RawLocalFileSystem comes through here. */
    @Override
    protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission) throws IOException {
        String path = f.toUri().getPath();
        if (path.contains("/_staging-") && path.contains("/embeddings/") && f.getName().startsWith("part-")) {
            throw new IOException("injected failure writing " + f);
        }
        return super.createOutputStreamWithMode(f, append, permission);
    }
}
