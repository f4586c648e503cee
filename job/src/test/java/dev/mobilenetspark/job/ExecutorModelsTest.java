package dev.mobilenetspark.job;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cores an executor takes from its launcher's command line when spark.executor.cores is unset. */
class ExecutorModelsTest {

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
