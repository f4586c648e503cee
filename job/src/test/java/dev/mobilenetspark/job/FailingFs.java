package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;

/** {@link FailingFileSystem} for Hadoop's FileContext, which the job's atomic renames go through. */
public final class FailingFs extends DelegateToFileSystem {

    public FailingFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
        super(uri, new FailingFileSystem(), conf, FailingFileSystem.SCHEME, false);
    }
}
