package dev.mobilenetspark.job;

import dev.mobilenetspark.job.cli.MobileNetCli;

import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The shaded job jar, run as spark-submit runs it in client mode. No Spark distribution comes
 * from Maven Central, so the build's spark-classpath files stand in for {@code $SPARK_HOME/jars}
 * and this test does what {@code bin/spark-submit} does: a JVM with the options Spark's launcher
 * adds, Spark's jars as its classpath and SparkSubmit as its main class. The job jar is not on
 * that classpath: SparkSubmit loads it into a class loader of its own, as on a cluster, so ND4J's
 * service lookup and native libraries are found the way they will be there.
 */
class ShadedJarIT {

    private static final Path SHADED_JAR = pathProperty("mobilenet.shadedJar");
    private static final Path PHOTOS = pathProperty("mobilenet.photos");
    private static final long TIMEOUT_MINUTES = 5;

    private static final Pattern SUMMARY = Pattern.compile(
            "SUMMARY read=7 labelled=7 failed=0 model_loads=1 startup_s=\\d+\\.\\d first_batch_s=\\d+\\.\\d images_per_s=\\d+\\.\\d");
    /** JobSummary's table: a name padded to 14 characters, then the value. */
    private static final Pattern TABLE_ROW = Pattern.compile("[a-z/ ]{14} \\S.*");
    private static final byte[] PARQUET_MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    @Test
    void jarLeavesEverySparkClassToSpark() throws IOException {
        Set<String> jarClasses = classes(SHADED_JAR);
        assertTrue(jarClasses.contains("dev/mobilenetspark/job/cli/MobileNetCli.class"));
        assertTrue(jarClasses.contains("org/nd4j/linalg/cpu/nativecpu/CpuBackend.class"));
        for (String provided : List.of("org/apache/spark/", "scala/", "org/apache/hadoop/",
                "org/slf4j/", "org/apache/logging/log4j/")) {
            assertTrue(jarClasses.stream().noneMatch(c -> c.startsWith(provided)), provided + " is in the jar");
        }

        Set<String> sparkClasses = new HashSet<>();
        for (String jar : sparkClasspath()) {
            sparkClasses.addAll(classes(Path.of(jar)));
        }
        assertTrue(sparkClasses.contains("org/apache/spark/deploy/SparkSubmit.class"));
        // Two copies of a class: which one loads depends on spark.driver.userClassPathFirst.
        Set<String> both = new TreeSet<>(jarClasses);
        both.retainAll(sparkClasses);
        assertEquals(Set.of(), both, "classes in both the shaded jar and Spark's classpath");
    }

    @Test
    void jarNamesTheCliAndMergesServiceFiles() throws IOException {
        try (JarFile jar = new JarFile(SHADED_JAR.toFile())) {
            assertEquals(MobileNetCli.class.getName(),
                    jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS));
            assertEquals(List.of("org.nd4j.linalg.cpu.nativecpu.CpuBackend"),
                    services(jar, "org.nd4j.linalg.factory.Nd4jBackend"));
            // One provider from each of three TwelveMonkeys jars: only a merged file lists them all.
            List<String> readers = services(jar, "javax.imageio.spi.ImageReaderSpi");
            assertTrue(readers.containsAll(List.of(
                    "com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi",
                    "com.twelvemonkeys.imageio.plugins.bmp.BMPImageReaderSpi",
                    "com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi")), readers::toString);
        }
    }

    @Test
    void sparkSubmitInfersThePhotos(@TempDir Path dir) throws IOException, InterruptedException {
        Path output = dir.resolve("out");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g"); // spark-submit's default spark.driver.memory
        command.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
        command.addAll(List.of("-Dorg.bytedeco.javacpp.maxbytes=4g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=8g"));
        command.addAll(List.of("-cp", String.join(File.pathSeparator, sparkClasspath()),
                "org.apache.spark.deploy.SparkSubmit",
                "--master", "local[2]",
                "--conf", "spark.ui.enabled=false",
                "--class", MobileNetCli.class.getName(),
                SHADED_JAR.toString(),
                "infer", "--input", PHOTOS.toString(), "--path-glob-filter", "*.{jpg,png}",
                "--output", output.toString(), "--alpha", "0.25", "--resolution", "128", "--classes", "10",
                "--batch-size", "4", "--decode-scaling", "fast"));
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        // SparkSubmit would read spark-defaults.conf from a Spark installation of this machine.
        builder.environment().remove("SPARK_HOME");
        builder.environment().remove("SPARK_CONF_DIR");
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            fail("spark-submit ran over " + TIMEOUT_MINUTES + " minutes:\n" + tail(Files.readString(stderr)));
        }
        String log = Files.readString(stderr);
        assertEquals(0, process.exitValue(), () -> "spark-submit failed:\n" + tail(log));

        List<String> lines = Files.readAllLines(stdout);
        assertFalse(lines.isEmpty(), "nothing on stdout");
        String last = lines.get(lines.size() - 1);
        assertTrue(SUMMARY.matcher(last).matches(), last);
        for (String line : lines.subList(0, lines.size() - 1)) {
            assertTrue(TABLE_ROW.matcher(line).matches(), () -> "not a summary table row on stdout: " + line);
        }
        assertTrue(log.contains("Running Spark version"), "Spark's log is not on stderr");
        assertTrue(log.contains("HAVE_ONEDNN"), "ND4J's oneDNN backend did not report on stderr");
        // The JPEGs (fast: every one, shrunk by 2 for 128 pixels where large enough) were decoded
        // by FFmpeg's libraries from the jar.
        assertFalse(log.contains("FFmpeg's JPEG decoder did not load"), () -> tail(log));

        for (String table : List.of("labels", "embeddings", "errors")) {
            List<Path> parts;
            try (Stream<Path> files = Files.list(output.resolve(table).resolve("chunk=0"))) {
                parts = files.filter(p -> p.getFileName().toString().matches("part-.*\\.parquet")).toList();
            }
            assertFalse(parts.isEmpty(), table + " has no Parquet part file");
            for (Path part : parts) {
                assertParquet(part);
            }
        }
    }

    private static Path pathProperty(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run this test with mvn verify");
        }
        return Path.of(value);
    }

    /** Spark's jars: the provided scope, and the jars Spark shares with DL4J (see job/pom.xml). */
    private static List<String> sparkClasspath() throws IOException {
        List<String> jars = new ArrayList<>();
        for (String file : List.of("mobilenet.sparkClasspathFile", "mobilenet.sparkSharedClasspathFile")) {
            jars.addAll(List.of(Files.readString(pathProperty(file)).strip().split(File.pathSeparator)));
        }
        return jars;
    }

    /** Class entries; module-info is left out, as each jar has its own and none are loaded from the classpath. */
    private static Set<String> classes(Path jar) throws IOException {
        Set<String> classes = new HashSet<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            file.stream().map(JarEntry::getName)
                    .filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class"))
                    .forEach(classes::add);
        }
        return classes;
    }

    private static List<String> services(JarFile jar, String service) throws IOException {
        JarEntry entry = jar.getJarEntry("META-INF/services/" + service);
        assertNotNull(entry, "no service file for " + service);
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        }
    }

    /** A Parquet file starts and ends with its magic number. */
    private static void assertParquet(Path file) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            byte[] head = new byte[PARQUET_MAGIC.length];
            byte[] foot = new byte[PARQUET_MAGIC.length];
            in.readFully(head);
            in.seek(in.length() - foot.length);
            in.readFully(foot);
            assertArrayEquals(PARQUET_MAGIC, head, file.toString());
            assertArrayEquals(PARQUET_MAGIC, foot, file.toString());
        }
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
