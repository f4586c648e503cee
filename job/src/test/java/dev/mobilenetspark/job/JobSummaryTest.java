package dev.mobilenetspark.job;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The summary a run prints: the table for people and the SUMMARY line scripts read. */
class JobSummaryTest {

    @Test
    void formatsEveryFieldAndEndsWithTheSummaryLine() {
        JobSummary summary = new JobSummary(9, 7, new TreeMap<>(Map.of("decode", 1L, "read", 1L)), 2, 5, 1, 3.25, 7.5, 4.0,
                new JobSummary.StageSeconds(0.1, 1.25, 2.5, 0.75), List.of("/out/labels", "/out/errors"),
                new JobSummary.Chunks(3, 1, "run-1", 3, 1.0));
        assertEquals(String.join("\n",
                "images read    9",
                "labelled       7",
                "failed         2",
                "  at decode    1",
                "  at read      1",
                "duplicate ids  2",
                "skipped (done) 5",
                "chunks         3 (1 committed before this attempt)",
                "run            run-1",
                "model loads    1",
                "startup        3.3 s",
                "first batch    7.5 s after launch",
                "wall time      4.0 s",
                "by stage       read 0.1 s, decode+preprocess 1.3 s, inference 2.5 s (task time), write 0.8 s",
                "images/s       2.3",
                "warm images/s  2.0 (after the first chunk)",
                "wrote          /out/labels",
                "wrote          /out/errors",
                "SUMMARY read=9 labelled=7 failed=2 model_loads=1 startup_s=3.3 first_batch_s=7.5 images_per_s=2.3",
                ""), summary.format().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void aRunThatInferredNothingSaysSo() {
        JobSummary none = new JobSummary(0, 0, Map.of(), 0, 0, 0, 1.0, -1, 0.5,
                new JobSummary.StageSeconds(0, 0, 0, 0.1), List.of(), new JobSummary.Chunks(0, 0, "run-2", 0, -1));
        assertEquals("first batch    none inferred", none.format().lines().filter(l -> l.startsWith("first batch")).findFirst()
                .orElseThrow());
        assertEquals(0.0, none.imagesPerSecond());
        assertEquals(-1.0, none.warmImagesPerSecond());
        assertFalse(none.format().contains("warm"));
    }

    /** One chunk committed, nothing after it: no warm rate, rather than the first chunk's again or a division by zero. */
    @Test
    void aSingleChunkHasNoWarmRate() {
        JobSummary one = new JobSummary(40, 40, Map.of(), 0, 0, 1, 1.0, 2.0, 3.5,
                new JobSummary.StageSeconds(0, 1, 1, 0.5), List.of(), new JobSummary.Chunks(1, 0, "run-3", 40, 3.4));
        assertEquals(-1.0, one.warmImagesPerSecond());
    }
}
