package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.job.StoredTable;
import dev.mobilenetspark.job.TableWriter;
import dev.mobilenetspark.job.similar.SimilaritySearch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

/**
 * {@code similar}: near-duplicate pairs and their groups over an embeddings table, or each query
 * image's nearest neighbours. Options may come from {@code spark.mobilenet.similar.NAME}.
 */
@Command(name = "similar", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Find pairs of images whose embeddings' cosine is at least --threshold, and their groups;"
                + " or with --query, each query image's nearest neighbours.")
final class SimilarCommand extends ConfiguredCommand {

    @Option(names = "--embeddings", required = true, paramLabel = "PATH|TABLE",
            description = "An embeddings table written by infer: its directory (any format infer writes) or a table name.")
    String embeddings;

    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "Write DIR/pairs (id_a, id_b, cosine) and DIR/groups (group_id, image_id); with --query, DIR/neighbours.")
    String output;

    @Option(names = "--threshold", defaultValue = "0.85",
            description = "Least cosine of a pair (default: ${DEFAULT-VALUE}: on the sample photos' near-duplicates, nsfwjs"
                    + " V2's embeddings put every version with its photo and no two photos together at 0.825-0.86).")
    double threshold;

    @Option(names = "--model-id", paramLabel = "ID",
            description = "The model whose embeddings to compare, when the table holds several models' rows.")
    String modelId;

    @Option(names = "--method", defaultValue = "auto",
            description = "exact (dot products between blocks of vectors), lsh (MLlib's bucketed random projections,"
                    + " confirmed by the exact cosine) or auto: exact below --exact-below vectors (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--exact-below", defaultValue = "50000",
            description = "With --method auto: the exact search up to this many vectors (default: ${DEFAULT-VALUE}).")
    long exactBelow;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random projections (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--query", paramLabel = "PATH|TABLE",
            description = "Embeddings of query images (same model): write each one's --top-k nearest images instead of pairs.")
    String query;

    @Option(names = "--top-k", defaultValue = "10", description = "With --query: neighbours per query image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Mixin
    TableOutput tables;

    @Override
    int run() throws Exception {
        SimilaritySearch.Settings settings = new SimilaritySearch.Settings(threshold, method, exactBelow, seed);
        if (topK < 1) {
            throw new IllegalArgumentException("--top-k must be at least 1, got " + topK);
        }
        Configuration hadoop = SparkSessions.hadoopConfiguration();
        StoredTable table = StoredTable.resolve(embeddings, "--embeddings", hadoop);
        StoredTable queries = query == null ? null : StoredTable.resolve(query, "--query", hadoop);
        tables.check(hadoop, query == null ? new String[] {path("pairs"), path("groups")} : new String[] {path("neighbours")});

        TableWriter writer = tables.writer();
        try (SparkSessions.Handle spark = SparkSessions.getOrCreate(tables.format)) {
            SparkSession session = spark.session();
            Dataset<Row> vectors = SimilaritySearch.unitVectors(
                    SimilaritySearch.oneModel(table.read(session), modelId, "--embeddings"));
            if (queries != null) {
                Dataset<Row> q = SimilaritySearch.unitVectors(SimilaritySearch.oneModel(queries.read(session), modelId, "--query"));
                writer.write(SimilaritySearch.nearest(session, q, vectors, topK), path("neighbours"));
                System.out.printf(Locale.ROOT, "wrote %s/neighbours: the %d nearest images of each query image%n", output, topK);
                return 0;
            }
            SimilaritySearch.Pairs found = SimilaritySearch.pairs(session, vectors, settings);
            writer.write(found.pairs(), path("pairs"));
            Dataset<Row> pairs = writer.read(session, path("pairs"), SimilaritySearch.PAIRS);
            writer.write(SimilaritySearch.groups(session, vectors.select("image_id"), pairs), path("groups"));
            Row sizes = writer.read(session, path("groups"), SimilaritySearch.GROUPS).groupBy("group_id").count()
                    .agg(count(lit(1)), max("count")).first();
            System.out.printf(Locale.ROOT, "%d embeddings, method %s, threshold %s: %d pairs, %d groups (the largest %d)%n"
                            + "wrote %s/pairs and %s/groups%n", found.vectors(), found.method(), threshold, pairs.count(),
                    sizes.getLong(0), sizes.isNullAt(1) ? 0 : sizes.getLong(1), output, output);
            return 0;
        }
    }

    private String path(String name) {
        return new Path(output, name).toString();
    }
}
