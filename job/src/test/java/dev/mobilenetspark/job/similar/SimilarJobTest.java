package dev.mobilenetspark.job.similar;

import dev.mobilenetspark.job.CliRun;
import dev.mobilenetspark.job.SparkTestBase;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code similar} against an exact all-pairs cosine computed here: on real embeddings (the
 * Fashion-MNIST slice through a small network) by the exact search, and on 2,400 clustered
 * vectors by the LSH search, forced.
 */
class SimilarJobTest extends SparkTestBase {

    private static Path embedded;

    @BeforeAll
    static void embedOnce() {
        embedded = dir.resolve("embedded");
        infer(smallInfer("--input", "../data-samples/fashion-mnist/train-1000.parquet", "--id-column", "image_id",
                "--output", embedded.toString()));
    }

    @Test
    void exactSearchFindsEveryPairOfTheAllPairsCosineAndGroupsThem() {
        double threshold = 0.997;
        Path out = dir.resolve("exact");
        similar("--embeddings", embedded.resolve("embeddings").toString(), "--output", out.toString(),
                "--threshold", "" + threshold, "--method", "exact");
        Map<String, float[]> vectors = vectors(table(embedded, "embeddings"));
        Map<Set<String>, Double> expected = allPairs(vectors, threshold);
        Map<Set<String>, Double> found = pairs(table(out, "pairs"));
        assertTrue(expected.size() > 20, "the slice has near pairs at " + threshold + ": " + expected.size());
        assertEquals(expected.keySet(), found.keySet());
        found.forEach((pair, cosine) -> assertEquals(expected.get(pair), cosine, 1e-6));
        checkGroups(vectors.keySet(), found.keySet(), table(out, "groups"));
    }

    @Test
    void lshSearchFindsAtLeast99PercentOfThePairsAndNothingBelowTheThreshold() {
        Path input = dir.resolve("clustered");
        Map<String, float[]> vectors = clustered(300, 8, 256, 11);
        writeEmbeddings(vectors, input, 1);
        double threshold = 0.9;
        Path out = dir.resolve("lsh");
        similar("--embeddings", input.toString(), "--output", out.toString(), "--threshold", "" + threshold,
                "--method", "lsh");
        Map<Set<String>, Double> expected = allPairs(vectors, threshold);
        Map<Set<String>, Double> found = pairs(table(out, "pairs"));
        assertTrue(expected.size() > 2000, "pairs: " + expected.size());
        long recalled = expected.keySet().stream().filter(found::containsKey).count();
        assertTrue(recalled >= 0.99 * expected.size(), "recall " + recalled + " of " + expected.size());
        assertTrue(expected.keySet().containsAll(found.keySet()), "every pair written is at or above the threshold");
        checkGroups(vectors.keySet(), found.keySet(), table(out, "groups"));
    }

    @Test
    void bothTablesAreWrittenWhenNoPairIsFound() {
        Path out = dir.resolve("none");
        similar("--embeddings", embedded.resolve("embeddings").toString(), "--output", out.toString(),
                "--threshold", "1.0", "--format", "json");
        assertEquals(0, spark.read().json(out.resolve("pairs").toString()).count());
        assertEquals(1000, spark.read().json(out.resolve("groups").toString()).count(), "every image its own group");
    }

    @Test
    void eachQueryGetsItsNearestImages() {
        Path out = dir.resolve("query");
        similar("--embeddings", embedded.resolve("embeddings").toString(), "--query",
                embedded.resolve("embeddings").toString(), "--top-k", "3", "--output", out.toString());
        Map<String, float[]> vectors = vectors(table(embedded, "embeddings"));
        List<Row> rows = table(out, "neighbours").where("query_id = 'train-00042'").orderBy("rank").collectAsList();
        List<Map.Entry<String, Double>> best = new ArrayList<>();
        float[] q = vectors.get("train-00042");
        vectors.forEach((id, v) -> {
            if (!id.equals("train-00042")) {
                best.add(Map.entry(id, cosine(q, v)));
            }
        });
        best.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        assertEquals(List.of(1, 2, 3), rows.stream().map(r -> r.getInt(1)).toList());
        assertEquals(best.subList(0, 3).stream().map(Map.Entry::getKey).toList(),
                rows.stream().map(r -> r.getString(2)).toList());
        assertEquals(3000, table(out, "neighbours").count());
    }

    @Test
    void anImageTwiceInTheTableGivesEachPairOnce() {
        Map<String, float[]> vectors = clustered(20, 4, 32, 5);
        Path input = dir.resolve("twice");
        writeEmbeddings(vectors, input, 2);
        Path out = dir.resolve("twice-out");
        similar("--embeddings", input.toString(), "--output", out.toString(), "--threshold", "0.9", "--method", "exact");
        Map<Set<String>, Double> expected = allPairs(vectors, 0.9);
        assertEquals(expected.keySet(), pairs(table(out, "pairs")).keySet());
        checkGroups(vectors.keySet(), expected.keySet(), table(out, "groups"));
    }

    @Test
    void aJsonTableOfEmbeddingsGivesTheSamePairs() {
        Path json = dir.resolve("embeddings-json");
        table(embedded, "embeddings").write().json(json.toString());
        Path out = dir.resolve("from-json");
        similar("--embeddings", json.toString(), "--output", out.toString(), "--threshold", "0.997", "--method", "exact");
        assertEquals(allPairs(vectors(table(embedded, "embeddings")), 0.997).keySet(), pairs(table(out, "pairs")).keySet());
    }

    @Test
    void lshBelowTheThresholdItsPlanHoldsAtIsRefused() {
        CliRun run = CliRun.of("similar", "--embeddings", embedded.resolve("embeddings").toString(), "--output",
                dir.resolve("low").toString(), "--threshold", "0.5", "--method", "lsh");
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("use --method exact"), run.err());
    }

    @Test
    void severalModelsInOneTableNeedAModelId() {
        CliRun run = CliRun.of("similar", "--embeddings", writeTwoModels().toString(), "--output",
                dir.resolve("two").toString());
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("--model-id"), run.err());
    }

    private static void similar(String... args) {
        List<String> all = new ArrayList<>(List.of("similar"));
        all.addAll(List.of(args));
        CliRun run = CliRun.of(all.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
    }

    private static Path writeTwoModels() {
        Path input = dir.resolve("two-models");
        table(embedded, "embeddings").limit(10).selectExpr("image_id", "embedding", "'a' as model_id")
                .union(table(embedded, "embeddings").limit(10).selectExpr("image_id", "embedding", "'b' as model_id"))
                .write().parquet(input.toString());
        return input;
    }

    /** {@code clusters} random directions, each with {@code size} noisy copies at various distances. */
    private static Map<String, float[]> clustered(int clusters, int size, int dimensions, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> vectors = new HashMap<>();
        for (int c = 0; c < clusters; c++) {
            double[] centre = new double[dimensions];
            for (int d = 0; d < dimensions; d++) {
                centre[d] = random.nextGaussian();
            }
            for (int m = 0; m < size; m++) {
                double noise = 0.1 + 0.05 * m;
                float[] v = new float[dimensions];
                for (int d = 0; d < dimensions; d++) {
                    v[d] = (float) (centre[d] + noise * random.nextGaussian());
                }
                vectors.put(String.format("c%03d-%d", c, m), v);
            }
        }
        return vectors;
    }

    /** An embeddings table holding each vector {@code copies} times. */
    private static void writeEmbeddings(Map<String, float[]> vectors, Path path, int copies) {
        List<Row> rows = new ArrayList<>();
        vectors.forEach((id, v) -> {
            Float[] boxed = new Float[v.length];
            for (int i = 0; i < v.length; i++) {
                boxed[i] = v[i];
            }
            for (int c = 0; c < copies; c++) {
                rows.add(RowFactory.create(id, boxed, "synthetic"));
            }
        });
        StructType schema = new StructType().add("image_id", DataTypes.StringType)
                .add("embedding", DataTypes.createArrayType(DataTypes.FloatType)).add("model_id", DataTypes.StringType);
        spark.createDataFrame(rows, schema).repartition(4).write().parquet(path.toString());
    }

    private static Map<String, float[]> vectors(Dataset<Row> embeddings) {
        Map<String, float[]> vectors = new HashMap<>();
        for (Row r : embeddings.select("image_id", "embedding").collectAsList()) {
            List<Float> list = r.getList(1);
            float[] v = new float[list.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = list.get(i);
            }
            vectors.put(r.getString(0), v);
        }
        return vectors;
    }

    private static Map<Set<String>, Double> allPairs(Map<String, float[]> vectors, double threshold) {
        List<String> ids = new ArrayList<>(vectors.keySet());
        Map<Set<String>, Double> pairs = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            for (int j = i + 1; j < ids.size(); j++) {
                double c = cosine(vectors.get(ids.get(i)), vectors.get(ids.get(j)));
                if (c >= threshold) {
                    pairs.put(Set.of(ids.get(i), ids.get(j)), c);
                }
            }
        }
        return pairs;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static Map<Set<String>, Double> pairs(Dataset<Row> table) {
        Map<Set<String>, Double> pairs = new HashMap<>();
        for (Row r : table.collectAsList()) {
            assertTrue(r.getString(0).compareTo(r.getString(1)) < 0, "id_a < id_b: " + r);
            assertEquals(null, pairs.put(Set.of(r.getString(0), r.getString(1)), r.getDouble(2)), "each pair once");
        }
        return pairs;
    }

    /** Every image in exactly one group; two images share a group exactly when a path of pairs joins them. */
    private static void checkGroups(Set<String> ids, Set<Set<String>> pairs, Dataset<Row> groups) {
        Map<String, String> parent = new HashMap<>();
        ids.forEach(id -> parent.put(id, id));
        for (Set<String> pair : pairs) {
            List<String> ends = new ArrayList<>(pair);
            parent.put(root(parent, ends.get(0)), root(parent, ends.get(1)));
        }
        Map<String, String> groupOf = new HashMap<>();
        for (Row r : groups.collectAsList()) {
            assertEquals(null, groupOf.put(r.getString(1), r.getString(0)), "one group per image");
        }
        assertEquals(ids, groupOf.keySet());
        Map<String, String> groupOfRoot = new HashMap<>();
        Set<String> groupNames = new HashSet<>();
        for (String id : ids) {
            String root = root(parent, id);
            String group = groupOf.get(id);
            assertEquals(groupOfRoot.computeIfAbsent(root, r -> group), group, "connected images share a group");
            groupNames.add(group);
        }
        assertEquals(groupOfRoot.size(), groupNames.size(), "unconnected images do not");
    }

    private static String root(Map<String, String> parent, String id) {
        while (!parent.get(id).equals(id)) {
            id = parent.get(id);
        }
        return id;
    }
}
