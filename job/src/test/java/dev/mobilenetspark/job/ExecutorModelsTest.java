package dev.mobilenetspark.job;

import dev.mobilenetspark.model.Labels;
import dev.mobilenetspark.model.MobileNetConfig;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.image.ImageDecoder;
import dev.mobilenetspark.model.image.Preprocessing;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The executor's one model handler, and the cores it takes when spark.executor.cores is unset. */
class ExecutorModelsTest extends SparkTestBase {

    @Test
    void aModelThatFailsToLoadLeavesNoHandlerBehind() throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LongAccumulator loads = jsc.sc().longAccumulator();
        MobileNetConfig small = MobileNetConfig.v1().with(c -> c.alpha(0.25).resolution(64).classes(10));
        MobileNetModel first = MobileNetModel.create(small, Preprocessing.keras(), Labels.none(), 1);
        MobileNetModel second = MobileNetModel.create(small, Preprocessing.keras(), Labels.none(), 2);
        Broadcast<byte[]> firstFile = jsc.broadcast(file(first));
        Broadcast<byte[]> notAModel = jsc.broadcast(new byte[] {1, 2, 3});

        ExecutorModels.get(settings(first), firstFile, loads);
        assertThrows(UncheckedIOException.class, () -> ExecutorModels.get(settings(second), notAModel, loads));
        ModelHandler again = ExecutorModels.get(settings(first), firstFile, loads);

        assertNotNull(again, "the first model is loaded again, not taken for still loaded");
        assertEquals(2, loads.value());
        assertSame(again, ExecutorModels.get(settings(first), firstFile, loads));
        assertEquals(first.identity(), again.model().identity());
    }

    private static JobSettings settings(MobileNetModel model) {
        return JobSettings.of(model, true, 1, 4, 1, JobSettings.DEFAULT_MAX_FILE_BYTES, ImageDecoder.Scaling.REFERENCE,
                ModelHandler.Backend.NATIVE);
    }

    private static byte[] file(MobileNetModel model) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(model, out);
        return out.toByteArray();
    }

    @Test
    void theCoresArgumentOfAnExecutorBackendIsFound() {
        // As a standalone worker starts an executor (the JVM's sun.java.command).
        String standalone = "org.apache.spark.executor.CoarseGrainedExecutorBackend --driver-url spark://CoarseGrainedScheduler@h:35"
                + " --executor-id 1 --hostname 192.0.2.2 --cores 3 --app-id app-20261206 --worker-url spark://Worker@h:40";
        assertEquals(OptionalInt.of(3), ExecutorModels.coresArgument(standalone));
        assertEquals(OptionalInt.of(1), ExecutorModels.coresArgument(
                "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend --cores  1 --app-id application_1"));
    }

    @Test
    void noUsableCoresArgumentGivesNone() {
        assertEquals(OptionalInt.empty(), ExecutorModels.coresArgument("dev.mobilenetspark.job.cli.MobileNetCli infer --input x"));
        assertEquals(OptionalInt.empty(), ExecutorModels.coresArgument("Backend --cores"));
        assertEquals(OptionalInt.empty(), ExecutorModels.coresArgument("Backend --cores many"));
        assertEquals(OptionalInt.empty(), ExecutorModels.coresArgument("Backend --cores 0"));
        assertEquals(OptionalInt.empty(), ExecutorModels.coresArgument(""));
    }
}
