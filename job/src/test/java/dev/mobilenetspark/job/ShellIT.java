package dev.mobilenetspark.job;

import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Spark ML stage driven from Scala, as a spark-shell user drives it: lines typed into a REPL
 * (spark-repl's, or the Scala interpreter spark-shell is built on where Maven Central has no
 * spark-repl for this Spark) whose classpath is Spark's jars and the shaded job jar. The lines
 * tag the sample photos with the trained V2 model, save the stage in a pipeline, load it back
 * and print each photo's top class.
 */
class ShellIT {

    private static final long TIMEOUT_MINUTES = 5;

    /** Top class of each photo, from model/src/test/resources/golden/reference.json (TensorFlow.js). */
    private static final String EXPECTED = "TOP china.jpg=Neutral,flower.jpg=Neutral,grace_hopper.jpg=Neutral,"
            + "ski_astronaut.png=Neutral,ski_chelsea.png=Neutral,ski_coffee.png=Neutral,ski_rocket.jpg=Drawing";

    private static Path property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run this test with mvn verify");
        }
        return Path.of(value);
    }

    private static List<String> classpathFile(String property) throws IOException {
        return List.of(Files.readString(property(property)).strip().split(File.pathSeparator));
    }

    @Test
    void theStageTagsThePhotosFromAScalaShellAndLoadsBackFromASavedPipeline(@TempDir Path dir)
            throws IOException, InterruptedException {
        String lines = String.join("\n",
                "import dev.mobilenetspark.job.ml.MobileNetTransformer",
                "import org.apache.spark.ml.{Pipeline, PipelineModel}",
                "val session = org.apache.spark.sql.SparkSession.builder().getOrCreate()",
                "val photos = session.read.format(\"binaryFile\").option(\"pathGlobFilter\", \"*.{jpg,png}\")"
                        + ".load(\"" + property("mobilenet.photos") + "\")",
                "val tagger = new MobileNetTransformer().setModelPath(\"" + property("mobilenet.models")
                        .resolve("mobilenet_v2_nsfw") + "\").setInputCol(\"content\").setTopK(2)",
                "new Pipeline().setStages(Array(tagger)).fit(photos).write.overwrite().save(\"" + dir.resolve("saved") + "\")",
                "val top = PipelineModel.load(\"" + dir.resolve("saved") + "\").transform(photos)"
                        + ".selectExpr(\"path\", \"label[0]\").collect()"
                        + ".map(r => r.getString(0).split(\"/\").last + \"=\" + r.getString(1)).sorted",
                "println(\"TOP \" + top.mkString(\",\"))",
                ":quit", "");
        List<String> classpath = new ArrayList<>(classpathFile("mobilenet.sparkClasspathFile"));
        classpath.addAll(classpathFile("mobilenet.sparkSharedClasspathFile"));
        classpath.addAll(classpathFile("mobilenet.replClasspathFile"));
        classpath.add(property("mobilenet.shadedJar").toString());

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        command.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
        command.addAll(List.of("-Dorg.bytedeco.javacpp.maxbytes=2g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g",
                "-Dscala.usejavacp=true", "-Dspark.master=local[2]", "-Dspark.ui.enabled=false",
                "-cp", String.join(File.pathSeparator, classpath),
                System.getProperty("mobilenet.replMainClass"), "-usejavacp"));
        Path input = Files.writeString(dir.resolve("lines.scala"), lines);
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process shell = new ProcessBuilder(command).directory(dir.toFile()).redirectInput(input.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!shell.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            shell.destroyForcibly().waitFor();
            fail("the shell ran over " + TIMEOUT_MINUTES + " minutes:\n" + Files.readString(out));
        }
        String printed = Files.readString(out);
        assertEquals(0, shell.exitValue(), printed + Files.readString(err));
        assertTrue(printed.lines().anyMatch(l -> l.endsWith(EXPECTED)), printed);
        assertTrue(Files.isRegularFile(dir.resolve("saved/stages").toFile().listFiles()[0].toPath().resolve("model")),
                "the saved stage keeps its model");
    }
}
