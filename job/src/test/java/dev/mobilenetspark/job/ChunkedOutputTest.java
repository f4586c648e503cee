package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkedOutputTest {

    /** Two runs of one command on one output replace the run log at the same moments. */
    @Test
    void runLogsReplacedByTwoRunsAtOnceStayReadable(@TempDir Path dir) throws Exception {
        OutputTarget target = new OutputTarget(dir.resolve("out").toUri().toString(), null, "json", "errorifexists", false);
        ChunkedOutput.Run run = ChunkedOutput.open(target, new Configuration()).begin("model", "input", java.util.List.of());
        ExecutorService runs = Executors.newFixedThreadPool(2);
        try {
            List<Future<Void>> writers = new ArrayList<>();
            for (String runner : List.of("a", "b")) {
                ChunkedOutput output = ChunkedOutput.open(target, new Configuration());
                Callable<Void> replaceMany = () -> {
                    for (int i = 0; i < 300; i++) {
                        Properties log = output.runLog().orElseThrow();
                        log.setProperty("writer", runner);
                        log.setProperty("state", i == 299 ? "complete" : "running");
                        output.writeRunLog(log);
                    }
                    return null;
                };
                writers.add(runs.submit(replaceMany));
            }
            for (Future<Void> writer : writers) {
                writer.get();
            }
        } finally {
            runs.shutdownNow();
        }
        Properties last = ChunkedOutput.open(target, new Configuration()).runLog().orElseThrow();
        assertEquals(run.runId(), last.getProperty("run-id"));
        assertEquals("complete", last.getProperty("state"));
        assertTrue(List.of("a", "b").contains(last.getProperty("writer")));
    }
}
