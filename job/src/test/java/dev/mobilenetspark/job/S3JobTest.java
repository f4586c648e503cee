package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * s3a:// input and output against a real S3 server: s3proxy with its file-system backend, on
 * the loopback address, in a JVM of its own. Credentials reach S3A as a user gives them, as
 * {@code spark.hadoop.fs.s3a.*} settings: through the session for the run, and through the
 * system properties spark-submit sets for the argument checks made before Spark starts.
 */
class S3JobTest extends SparkTestBase {

    private static final String ACCESS_KEY = "mobilenet-access";
    private static final String SECRET_KEY = "mobilenet-secret";

    private static Process server;
    private static java.nio.file.Path buckets;
    private static final Map<String, String> S3A = new TreeMap<>();

    @BeforeAll
    static void startS3() throws IOException, InterruptedException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        buckets = dir.resolve("s3");
        for (String bucket : List.of("images", "out", "locked")) {
            Files.createDirectories(buckets.resolve(bucket));
        }
        java.nio.file.Path conf = Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + buckets) + "\n");
        server = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", java.nio.file.Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath().toString(),
                "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts(port)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                fail("s3proxy did not start: " + Files.readString(dir.resolve("s3proxy.log")));
            }
            Thread.sleep(100);
        }
        S3A.put("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        S3A.put("fs.s3a.endpoint.region", "us-east-1");
        S3A.put("fs.s3a.path.style.access", "true");
        S3A.put("fs.s3a.connection.ssl.enabled", "false");
        S3A.put("fs.s3a.access.key", ACCESS_KEY);
        S3A.put("fs.s3a.secret.key", SECRET_KEY);
        S3A.put("fs.s3a.bucket.locked.secret.key", "not-the-secret");
        // Hadoop 3.4's default. Under 3.3's (delete), the committer's rename here waited without
        // end on deleting the parent directory markers after a write.
        S3A.put("fs.s3a.directory.marker.retention", "keep");
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        S3A.forEach((k, v) -> {
            hadoop.set(k, v);
            System.setProperty("spark.hadoop." + k, v);
        });
        FileSystem images = FileSystem.get(URI.create("s3a://images/"), hadoop);
        for (java.nio.file.Path photo : SamplePhotos.list()) {
            upload(images, photo, "s3a://images/photos/" + photo.getFileName());
        }
        upload(images, java.nio.file.Path.of("../data-samples/photos.parquet"), "s3a://images/table/photos.parquet");
    }

    /** A PUT through S3A (its copyFromLocalFile of one file fails in Hadoop 3.3). */
    private static void upload(FileSystem s3, java.nio.file.Path file, String key) throws IOException {
        try (var out = s3.create(new Path(key))) {
            Files.copy(file, out);
        }
    }

    @AfterAll
    static void stopS3() throws InterruptedException {
        S3A.keySet().forEach(k -> System.clearProperty("spark.hadoop." + k));
        if (server != null) {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Objects in the bucket's directory on the server's disk, by key prefix. */
    private static long objects(String bucket, String prefix) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(buckets.resolve(bucket))) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> buckets.resolve(bucket).relativize(p).toString().startsWith(prefix)).count();
        }
    }

    @Test
    void imageFilesOnS3AreInferredAndTheTablesWrittenToS3() throws IOException {
        JobSummary summary = infer(smallInfer("--input", "s3a://images/photos", "--output", "s3a://out/files", "--format", "json"));
        assertCounts(7, 7, 0, summary);
        assertEquals(7, spark.newSession().read().json("s3a://out/files/labels").count());
        assertEquals(0, spark.newSession().read().json("s3a://out/files/errors").count());
        assertTrue(objects("out", "files/labels/chunk=0/part-") > 0, "the server holds the labels' files");
        assertTrue(objects("out", "files/_chunks/0") == 1, "and the chunk's record");
    }

    @Test
    void aParquetTableOnS3IsReadAndAFinishedOutputThereIsNotReplaced() throws IOException {
        JobSummary summary = infer(smallInfer("--input", "s3a://images/table", "--output", "s3a://out/table"));
        assertCounts(7, 7, 0, summary);
        assertEquals(7, spark.newSession().read().parquet("s3a://out/table/labels").count());
        CliRun again = CliRun.of(smallInfer("--input", "s3a://images/table", "--output", "s3a://out/table"));
        assertEquals(MobileNetCli.BAD_ARGUMENT, again.exit());
        assertTrue(again.err().contains("output s3a://out/table/_run already exists"), again.err());
    }

    @Test
    void aWrongSecretIsReportedBeforeSparkWorks() {
        CliRun run = CliRun.of(smallInfer("--input", "s3a://locked/photos", "--output", "s3a://out/never"));
        assertEquals(MobileNetCli.BAD_ARGUMENT, run.exit(), run.err());
        String line = run.err().strip();
        assertTrue(line.startsWith("mobilenet-spark: access to s3a://locked/photos was denied; check the credentials"
                + " (spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key, or per bucket"
                + " spark.hadoop.fs.s3a.bucket.locked.*):"), line);
        assertTrue(!line.contains("not-the-secret"), "the secret is not printed");
    }
}
