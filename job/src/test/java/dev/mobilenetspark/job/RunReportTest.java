package dev.mobilenetspark.job;

import org.apache.spark.sql.Row;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infer --report}: the page's content read back as values and checked against the run's tables. */
class RunReportTest extends SparkTestBase {

    private static JobSummary summary;
    private static Document page;
    private static Path out;

    @BeforeAll
    static void runWithAReport() throws Exception {
        Path input = Files.createDirectories(dir.resolve("input"));
        try (Stream<Path> photos = Files.list(SamplePhotos.DIR)) {
            for (Path p : photos.filter(p -> p.toString().matches(".*\\.(jpg|png)")).toList()) {
                Files.copy(p, input.resolve(p.getFileName()));
            }
        }
        Files.write(input.resolve("truncated.jpg"), java.util.Arrays.copyOf(Files.readAllBytes(SamplePhotos.DIR.resolve("china.jpg")), 3000));
        Files.writeString(input.resolve("notes.png"), "not an image");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            names.add("<b>class " + i + "</b> & co");
        }
        Path labels = Files.write(dir.resolve("labels.txt"), names);
        out = dir.resolve("out");
        Path report = dir.resolve("report");
        summary = infer(smallInfer("--input", input.toString(), "--output", out.toString(), "--labels", labels.toString(),
                "--chunk-rows", "4", "--report", report.toString()));
        page = Jsoup.parse(report.resolve("index.html").toFile(), "UTF-8");
    }

    @Test
    void theContactSheetShowsSampledImagesWithTheirLabelsAsTheTableHasThem() throws Exception {
        Map<String, Row> labelled = new HashMap<>();
        for (Row r : table(out, "labels").where("chunk = 0").select("image_id", "label", "score").collectAsList()) {
            labelled.put(r.getString(0), r);
        }
        List<Element> figures = page.select("#contact-sheet figure");
        assertEquals(labelled.size(), figures.size(), "every labelled image of the first chunk (fewer than the sample)");
        for (Element figure : figures) {
            Row row = labelled.get(figure.attr("data-image-id"));
            assertNotNull(row, figure.attr("data-image-id"));
            String src = figure.selectFirst("img").attr("src");
            assertTrue(src.startsWith("data:image/jpeg;base64,"), "embedded, no file or network needed");
            BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(src.substring(23))));
            assertEquals(RunReport.THUMBNAIL_PIXELS, Math.max(thumbnail.getWidth(), thumbnail.getHeight()));
            List<Element> items = figure.select("li");
            assertEquals(3, items.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(row.getList(1).get(i), items.get(i).selectFirst(".label").text(), "names shown as text, escaped");
                assertEquals(String.format(Locale.ROOT, "%.3f", (float) row.getList(2).get(i)), items.get(i).selectFirst(".score").text());
            }
        }
        assertTrue(page.select("b").isEmpty(), "a class name is never markup");
    }

    @Test
    void scoresErrorsAndChunksAddUpToTheRun() {
        long binned = page.select("#scores rect.bin").stream().mapToLong(e -> Long.parseLong(e.attr("data-count"))).sum();
        assertEquals(summary.labelled(), binned);
        assertEquals(20, page.select("#scores rect.bin").size());

        Map<String, Long> stages = new HashMap<>();
        for (Element row : page.select("#errors table.stages tr[data-stage]")) {
            stages.put(row.attr("data-stage"), Long.parseLong(row.selectFirst("td.n").text()));
        }
        assertEquals(summary.failedByStage(), stages);
        String examples = page.select("#errors table.examples").text();
        assertTrue(examples.contains("truncated.jpg") && examples.contains("notes.png"), examples);

        assertEquals(summary.chunks().total(), page.select("#throughput table.chunks tr").size() - 1);
        assertEquals(summary.chunks().total(), page.select("#throughput rect.chunk").size());
        assertEquals(Long.toString(summary.read()), page.select("#summary .figure .value").first().text());
    }

    @Test
    void thePageNeedsNothingFromTheNetwork() {
        assertTrue(page.select("script, link, iframe").isEmpty());
        for (Element e : page.select("[src], [href]")) {
            String ref = e.hasAttr("src") ? e.attr("src") : e.attr("href");
            assertFalse(ref.startsWith("http") || ref.startsWith("//"), ref);
        }
    }
}
