package dev.mobilenetspark.job;

import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * {@code infer --report DIR}: one HTML page, {@code DIR/index.html}, that needs nothing beside
 * it and no network: a contact sheet of sampled images (thumbnails embedded, with their top
 * labels and scores), the distribution of top-1 scores, errors by stage with examples, the
 * throughput of each chunk over the run, and the summary. Everything it shows is bounded: the
 * sample is taken from the first chunk this attempt runs, the rest is aggregated by Spark from
 * the run's own rows of the output tables, so nothing per image reaches the driver.
 */
final class RunReport {

    static final int SAMPLE = 24;
    static final int THUMBNAIL_PIXELS = 160;
    static final int BINS = 20;
    static final int EXAMPLES = 3;
    private static final int MAX_ERROR_CHARS = 300;

    /** A sampled image: its id, top labels and scores, and its thumbnail (null if none could be made). */
    record Sampled(String imageId, List<String> labels, List<Float> scores, byte[] thumbnail) { }

    /** A chunk this attempt committed: its rows, and when, in seconds from the start of the run. */
    record ChunkTime(int chunk, long rows, double seconds) { }

    /** An error row shown as an example of its stage. */
    record Example(String stage, String imageId, String source, String error) { }

    private final String directory;
    private List<Sampled> sample;
    private final List<ChunkTime> chunks = new ArrayList<>();

    RunReport(String directory) {
        this.directory = directory;
    }

    boolean needsSample() {
        return sample == null;
    }

    /** Samples up to {@link #SAMPLE} labelled images of a chunk's {@code results}, with thumbnails of their {@code rows}. */
    void sample(SparkSession spark, ShippedModel shipped, Dataset<Row> rows, Dataset<Row> results) {
        boolean labelled = shipped.settings.model().hasClassifier();
        List<Row> picked = results.where(col("stage").isNull()).orderBy(xxhash64(col("image_id")), col("image_id"))
                .limit(SAMPLE).select(col("image_id"), labelled ? col("label") : expr("cast(null as array<string>)"),
                        labelled ? col("score") : expr("cast(null as array<float>)")).collectAsList();
        List<Row> ids = picked.stream().map(r -> RowFactory.create(r.getString(0))).toList();
        Dataset<Row> wanted = spark.createDataFrame(ids, new StructType().add("image_id", DataTypes.StringType));
        Map<String, byte[]> thumbnails = new HashMap<>();
        for (Row r : shipped.thumbnails(rows.join(broadcast(wanted), "image_id"), THUMBNAIL_PIXELS).collectAsList()) {
            thumbnails.putIfAbsent(r.getString(0), r.isNullAt(1) ? null : (byte[]) r.get(1));
        }
        sample = new ArrayList<>();
        for (Row r : picked) {
            sample.add(new Sampled(r.getString(0), r.isNullAt(1) ? List.of() : r.getList(1),
                    r.isNullAt(2) ? List.of() : r.getList(2), thumbnails.get(r.getString(0))));
        }
    }

    void chunk(int number, long rows, double seconds) {
        chunks.add(new ChunkTime(number, rows, seconds));
    }

    /** Writes {@code DIR/index.html} for run {@code runId}, whose tables are {@code target}'s. */
    void write(SparkSession spark, OutputTarget target, JobSettings settings, JobSummary summary, String runId)
            throws IOException {
        // A run that ran no chunk (an input with no image) wrote no table.
        long[] bins = settings.model().hasClassifier() && OutputTables.exists(spark, target, OutputTables.Table.LABELS)
                ? scoreBins(spark, target, runId) : null;
        Map<String, Long> byStage = new LinkedHashMap<>();
        List<Example> examples = new ArrayList<>();
        Dataset<Row> errors = OutputTables.exists(spark, target, OutputTables.Table.ERRORS)
                ? OutputTables.read(spark, target, OutputTables.Table.ERRORS,
                        "image_id STRING, source STRING, stage STRING, error STRING, run_id STRING")
                        .where(col("run_id").equalTo(runId))
                : spark.emptyDataFrame().selectExpr("'' as image_id", "'' as source", "'' as stage", "'' as error");
        for (Row r : errors.groupBy("stage").count().orderBy(col("count").desc(), col("stage")).collectAsList()) {
            byStage.put(r.getString(0), r.getLong(1));
        }
        for (Row r : errors.withColumn("n", expr("row_number() over (partition by stage order by image_id)"))
                .where(col("n").leq(EXAMPLES)).orderBy("stage", "n").select("stage", "image_id", "source", "error")
                .collectAsList()) {
            examples.add(new Example(r.getString(0), r.getString(1), r.getString(2), r.getString(3)));
        }
        String html = html(settings, summary, runId, sample == null ? List.of() : sample, bins, byStage, examples, chunks);
        Path page = new Path(directory, "index.html");
        FileSystem fs = page.getFileSystem(spark.sparkContext().hadoopConfiguration());
        // A page to open in a browser, without the local file system's checksum file beside it.
        FileSystem raw = fs instanceof ChecksumFileSystem checksummed ? checksummed.getRawFileSystem() : fs;
        try (FSDataOutputStream out = raw.create(page, true)) {
            out.write(html.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Top-1 scores of the run's labelled rows in {@link #BINS} equal bins over [0, 1]. */
    private static long[] scoreBins(SparkSession spark, OutputTarget target, String runId) {
        long[] bins = new long[BINS];
        Dataset<Row> labels = OutputTables.read(spark, target, OutputTables.Table.LABELS, "score ARRAY<FLOAT>, run_id STRING")
                .where(col("run_id").equalTo(runId));
        for (Row r : labels.where(expr("not isnan(score[0])"))
                .select(expr("least(cast(floor(score[0] * " + BINS + ") as int), " + (BINS - 1) + ")").as("bin"))
                .groupBy("bin").count().collectAsList()) {
            if (!r.isNullAt(0)) {
                bins[Math.max(0, r.getInt(0))] += r.getLong(1);
            }
        }
        return bins;
    }

    static String html(JobSettings settings, JobSummary summary, String runId, List<Sampled> sample, long[] bins,
                       Map<String, Long> byStage, List<Example> examples, List<ChunkTime> chunks) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mobilenet-spark run ")
                .append(esc(runId)).append("</title>\n<style>\n").append(STYLE).append("</style></head><body>\n");
        h.append("<h1>mobilenet-spark run</h1>\n<p class=\"model\">run <code>").append(esc(runId)).append("</code> &middot; ")
                .append(esc(settings.model().architecture().id())).append(" alpha ").append(settings.model().alpha())
                .append(" at ").append(settings.model().resolution()).append(" px &middot; model <code>")
                .append(esc(settings.model().id().substring(0, 12))).append("</code></p>\n");

        h.append("<section id=\"summary\"><h2>Summary</h2><div class=\"figures\">");
        figure(h, "read", Long.toString(summary.read()));
        figure(h, "labelled", Long.toString(summary.labelled()));
        figure(h, "failed", Long.toString(summary.failed()));
        figure(h, "images/s", String.format(Locale.ROOT, "%.1f", summary.imagesPerSecond()));
        figure(h, "wall time", String.format(Locale.ROOT, "%.1f s", summary.runSeconds()));
        figure(h, "first batch", summary.firstBatchSeconds() < 0 ? "none"
                : String.format(Locale.ROOT, "%.1f s", summary.firstBatchSeconds()));
        h.append("</div><pre>").append(esc(summary.format())).append("</pre></section>\n");

        h.append("<section id=\"contact-sheet\"><h2>A sample of images</h2><p class=\"note\">").append(sample.size())
                .append(" labelled images of the first chunk this attempt ran, chosen by a hash of their id.</p><div class=\"sheet\">");
        for (Sampled s : sample) {
            h.append("<figure data-image-id=\"").append(esc(s.imageId())).append("\">");
            if (s.thumbnail() != null) {
                h.append("<img alt=\"").append(esc(s.imageId())).append("\" src=\"data:image/jpeg;base64,")
                        .append(Base64.getEncoder().encodeToString(s.thumbnail())).append("\">");
            } else {
                h.append("<div class=\"missing\">no thumbnail</div>");
            }
            h.append("<figcaption><div class=\"id\">").append(esc(s.imageId())).append("</div><ol>");
            for (int i = 0; i < Math.min(3, s.labels().size()); i++) {
                h.append("<li><span class=\"label\">").append(esc(s.labels().get(i))).append("</span> <span class=\"score\">")
                        .append(String.format(Locale.ROOT, "%.3f", s.scores().get(i))).append("</span></li>");
            }
            h.append("</ol></figcaption></figure>");
        }
        h.append("</div></section>\n");

        if (bins != null) {
            h.append("<section id=\"scores\"><h2>Top-1 scores</h2>").append(bars(bins)).append("</section>\n");
        }

        h.append("<section id=\"errors\"><h2>Errors by stage</h2>");
        if (byStage.isEmpty()) {
            h.append("<p>No errors.</p>");
        } else {
            h.append("<table class=\"stages\"><tr><th>stage</th><th>rows</th></tr>");
            byStage.forEach((stage, n) -> h.append("<tr data-stage=\"").append(esc(stage)).append("\"><td>").append(esc(stage))
                    .append("</td><td class=\"n\">").append(n).append("</td></tr>"));
            h.append("</table><table class=\"examples\"><tr><th>stage</th><th>image</th><th>source</th><th>error</th></tr>");
            for (Example e : examples) {
                String error = e.error() == null ? "" : e.error();
                h.append("<tr><td>").append(esc(e.stage())).append("</td><td>").append(esc(e.imageId())).append("</td><td>")
                        .append(esc(e.source())).append("</td><td>")
                        .append(esc(error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) + "..." : error))
                        .append("</td></tr>");
            }
            h.append("</table>");
        }
        h.append("</section>\n");

        h.append("<section id=\"throughput\"><h2>Throughput per chunk</h2>").append(throughput(chunks))
                .append("<table class=\"chunks\"><tr><th>chunk</th><th>rows</th><th>committed at</th><th>images/s</th></tr>");
        double previous = 0;
        for (ChunkTime c : chunks) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%d</td><td>%.1f s</td><td>%.1f</td></tr>", c.chunk(),
                    c.rows(), c.seconds(), rate(c, previous)));
            previous = c.seconds();
        }
        h.append("</table></section>\n</body></html>\n");
        return h.toString();
    }

    private static double rate(ChunkTime c, double previous) {
        return c.seconds() > previous ? c.rows() / (c.seconds() - previous) : 0;
    }

    private static void figure(StringBuilder h, String name, String value) {
        h.append("<div class=\"figure\"><div class=\"value\">").append(esc(value)).append("</div><div class=\"name\">")
                .append(esc(name)).append("</div></div>");
    }

    /** The score histogram as an SVG bar chart, each bar with its range and count. */
    private static String bars(long[] bins) {
        long max = 1;
        for (long b : bins) {
            max = Math.max(max, b);
        }
        int width = 640;
        int height = 200;
        double bar = (width - 40) / (double) bins.length;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"top-1 score histogram\">",
                width, height + 30, width, height + 30));
        for (int i = 0; i < bins.length; i++) {
            double h = bins[i] * (double) height / max;
            svg.append(String.format(Locale.ROOT,
                    "<rect class=\"bin\" data-count=\"%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%.2f-%.2f: %d</title></rect>",
                    bins[i], 30 + i * bar, height - h, bar - 2, h, i / (double) bins.length, (i + 1) / (double) bins.length, bins[i]));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"30\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">1</text>"
                + "<text x=\"25\" y=\"12\" text-anchor=\"end\">%d</text></svg>", height + 20, width - 10, height + 20, max));
        return svg.toString();
    }

    /** Each chunk's images per second, placed at the time it was committed. */
    private static String throughput(List<ChunkTime> chunks) {
        if (chunks.isEmpty()) {
            return "<p>No chunk was run by this attempt.</p>";
        }
        double end = chunks.get(chunks.size() - 1).seconds();
        double top = 1;
        double previous = 0;
        for (ChunkTime c : chunks) {
            top = Math.max(top, rate(c, previous));
            previous = c.seconds();
        }
        int width = 640;
        int height = 200;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"images per second by chunk\">",
                width, height + 30, width, height + 30));
        previous = 0;
        for (ChunkTime c : chunks) {
            double x0 = 30 + previous / Math.max(end, 1e-9) * (width - 40);
            double x1 = 30 + c.seconds() / Math.max(end, 1e-9) * (width - 40);
            double h = rate(c, previous) / top * height;
            svg.append(String.format(Locale.ROOT,
                    "<rect class=\"chunk\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>chunk %d: %d rows, %.1f images/s</title></rect>",
                    x0, height - h, Math.max(1, x1 - x0 - 1), h, c.chunk(), c.rows(), rate(c, previous)));
            previous = c.seconds();
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"30\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f s</text>"
                + "<text x=\"25\" y=\"12\" text-anchor=\"end\">%.0f/s</text></svg>", height + 20, width - 10, height + 20, end, top));
        return svg.toString();
    }

    static String esc(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static final String STYLE = """
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
            h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
            .model, .note { color: #666; } code { font-size: 13px; }
            .figures { display: flex; gap: 12px; flex-wrap: wrap; }
            .figure { border: 1px solid #ddd; border-radius: 6px; padding: 8px 16px; min-width: 90px; }
            .figure .value { font-size: 22px; font-weight: 600; } .figure .name { color: #666; }
            pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }
            .sheet { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
            figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 6px; background: #fafafa; }
            figure img { display: block; margin: 0 auto; max-width: 160px; max-height: 160px; }
            figcaption .id { font-size: 11px; color: #666; word-break: break-all; }
            figcaption ol { margin: 4px 0 0 18px; padding: 0; font-size: 12px; }
            .score { color: #666; font-variant-numeric: tabular-nums; }
            .missing { height: 120px; display: flex; align-items: center; justify-content: center; color: #999; }
            .chart rect.bin { fill: #4a7fb5; } .chart rect.chunk { fill: #5a9e6f; } .chart text { font-size: 11px; fill: #444; }
            table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
            td.n { text-align: right; } table.examples td { font-size: 12px; max-width: 460px; word-break: break-word; }
            """;
}
