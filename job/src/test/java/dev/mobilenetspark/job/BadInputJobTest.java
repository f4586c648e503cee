package dev.mobilenetspark.job;

import dev.mobilenetspark.model.image.BadInputs;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole job over the bad-input corpus: every file lands as documented and the job succeeds. */
class BadInputJobTest extends SparkTestBase {

    private static String fileName(Row r) {
        return Path.of(r.getString(0).replaceFirst("^file:", "")).getFileName().toString();
    }

    @Test
    void everyBadInputBecomesItsDocumentedRowAndTheJobSucceeds() throws IOException {
        Path images = Files.createDirectories(dir.resolve("corpus"));
        List<BadInputs.Case> cases = BadInputs.all();
        for (BadInputs.Case c : cases) {
            Files.write(images.resolve(c.fileName()), c.bytes());
        }
        Path out = dir.resolve("out");
        JobSummary summary = infer("infer", "--input", images.toString(), "--output", out.toString(), "--alpha", "0.25",
                "--resolution", "128", "--classes", "10", "--batch-size", "4");
        long errors = cases.stream().filter(c -> !c.labelled()).count();
        assertCounts(cases.size(), cases.size() - errors, errors, summary);

        Set<String> labelled = table(out, "labels").collectAsList().stream()
                .map(BadInputJobTest::fileName).collect(Collectors.toSet());
        Map<String, Row> failed = table(out, "errors").collectAsList().stream()
                .collect(Collectors.toMap(BadInputJobTest::fileName, r -> r));
        for (BadInputs.Case c : cases) {
            if (c.labelled()) {
                assertTrue(labelled.contains(c.fileName()), c.fileName() + " should be labelled; errors: " + failed.get(c.fileName()));
            } else {
                Row error = failed.get(c.fileName());
                assertTrue(error != null, c.fileName() + " should be an error row");
                assertEquals(c.errorStage(), error.getString(2), c.fileName());
                assertTrue(error.getString(3).contains(c.messagePart()), c.fileName() + ": " + error.getString(3));
                System.out.println("BAD-INPUT " + c.fileName() + " -> " + error.getString(2) + ": " + error.getString(3));
            }
        }
    }
}
