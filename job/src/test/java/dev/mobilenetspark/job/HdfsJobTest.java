package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job with its input and output on a real HDFS (one NameNode, one DataNode, in this JVM). */
class HdfsJobTest {

    private static final String[] SMALL_MODEL = {"--alpha", "0.25", "--resolution", "128", "--classes", "10", "--batch-size", "4"};

    @TempDir
    static Path dir;
    private static MiniDFSCluster cluster;
    private static SparkSession spark;
    private static String hdfs;

    @BeforeAll
    static void start() throws IOException {
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
        spark = SparkSession.builder().master("local[2]").appName("HdfsJobTest")
                .config("spark.ui.enabled", false)
                .getOrCreate();
        spark.read().parquet(SamplePhotos.DIR.resolveSibling("photos.parquet").toString())
                .write().parquet(hdfs + "/tables/photos");
    }

    @AfterAll
    static void stop() {
        spark.stop();
        cluster.shutdown();
    }

    private static CliRun infer(String input, String output) {
        List<String> args = new java.util.ArrayList<>(List.of("infer", "--input", input, "--output", output));
        args.addAll(List.of(SMALL_MODEL));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        return run;
    }

    @Test
    void imageFilesOnHdfsInTablesOnHdfsOut() {
        CliRun run = infer(hdfs + "/images", hdfs + "/out/images");
        assertTrue(run.lastLine().startsWith("SUMMARY read=8 labelled=7 failed=1 "), run.lastLine());
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
        CliRun run = infer(hdfs + "/tables/photos", hdfs + "/out/parquet");
        assertTrue(run.lastLine().startsWith("SUMMARY read=7 labelled=7 failed=0 "), run.lastLine());
        assertEquals(7, spark.read().parquet(hdfs + "/out/parquet/labels").count());
        assertEquals(0, spark.read().parquet(hdfs + "/out/parquet/errors").count());
    }
}
