package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job with its input and output on a real HDFS (one NameNode, one DataNode, in this JVM). */
class HdfsJobTest extends SparkTestBase {

    private static final List<String> SMALL_MODEL = List.of("--alpha", "0.25", "--resolution", "128", "--classes", "10",
            "--batch-size", "4");

    private static MiniDFSCluster cluster;
    private static String hdfs;

    @BeforeAll
    static void startHdfs() throws IOException {
        cluster = new MiniDFSCluster.Builder(new Configuration(), dir.resolve("dfs").toFile()).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = cluster.getURI().toString();
        FileSystem fs = cluster.getFileSystem();
        for (Path photo : SamplePhotos.list()) {
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(photo.toAbsolutePath().toString()),
                    new org.apache.hadoop.fs.Path("/images/" + photo.getFileName()));
        }
        try (var out = fs.create(new org.apache.hadoop.fs.Path("/images/notes.jpg"))) {
            out.write("not a JPEG".getBytes(StandardCharsets.UTF_8));
        }
        spark.read().parquet(SamplePhotos.DIR.resolveSibling("photos.parquet").toString())
                .write().parquet(hdfs + "/tables/photos");
    }

    @AfterAll
    static void stopHdfs() {
        cluster.shutdown();
    }

    @Test
    void imageFilesOnHdfsInTablesOnHdfsOut() {
        assertCounts(8, 7, 1, infer(SMALL_MODEL, "--input", hdfs + "/images", "--output", hdfs + "/out/images"));
        List<Row> labels = spark.read().parquet(hdfs + "/out/images/labels").collectAsList();
        assertEquals(7, labels.size());
        labels.forEach(r -> assertTrue(r.getString(0).startsWith(hdfs + "/images/"), r.getString(0)));
        Row error = spark.read().parquet(hdfs + "/out/images/errors").first();
        assertEquals(hdfs + "/images/notes.jpg", error.getString(0));
        assertEquals("decode", error.getString(2));
        assertEquals(7, spark.read().parquet(hdfs + "/out/images/embeddings").count());
    }

    @Test
    void parquetOnHdfsInTablesOnHdfsOut() {
        assertCounts(7, 7, 0, infer(SMALL_MODEL, "--input", hdfs + "/tables/photos", "--output", hdfs + "/out/parquet"));
        assertEquals(7, spark.read().parquet(hdfs + "/out/parquet/labels").count());
        assertEquals(0, spark.read().parquet(hdfs + "/out/parquet/errors").count());
    }
}
