package dev.mobilenetspark.job.similar;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.graphx.Edge;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.lib.ConnectedComponents;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSH;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Pairs of images whose embeddings' cosine is at least a threshold, the groups they join into,
 * and each query image's nearest neighbours. Embeddings are L2-normalised first, so a cosine is
 * a dot product. Candidates come from exact dot products between blocks of vectors (below
 * {@link #exactBelow} vectors) or from MLlib's bucketed random projections ({@link LshPlan});
 * every pair written was confirmed by its exact cosine.
 */
public final class SimilaritySearch {

    /** Vectors per block of the exact search: a block of 1,280-float vectors is 10 MB. */
    static final int BLOCK = 2048;

    /**
     * @param threshold  least cosine of a pair, in (-1, 1]
     * @param method     auto, exact or lsh
     * @param exactBelow with {@code auto}: exact up to this many vectors, LSH from there
     * @param seed       of the random projections
     */
    public record Settings(double threshold, String method, long exactBelow, long seed) {

        public Settings {
            if (!(threshold > -1 && threshold <= 1)) {
                throw new IllegalArgumentException("--threshold must be above -1 and at most 1, got " + threshold);
            }
            if (!List.of("auto", "exact", "lsh").contains(method)) {
                throw new IllegalArgumentException("--method must be auto, exact or lsh, got '" + method + "'");
            }
        }
    }

    /** The pairs a search finds (lazily: each action runs the search), how, and among how many vectors. */
    public record Pairs(Dataset<Row> pairs, String method, long vectors) { }

    /**
     * The rows of one model: {@code modelId}'s, or the table's only model; a table of several
     * models' embeddings without a model id is refused (their cosines mean nothing).
     */
    public static Dataset<Row> oneModel(Dataset<Row> rows, String modelId, String option) {
        if (!List.of(rows.columns()).contains("model_id")) {
            return rows;
        }
        if (modelId != null) {
            return rows.where(col("model_id").equalTo(modelId));
        }
        List<String> models = rows.select("model_id").distinct().limit(3).as(Encoders.STRING()).collectAsList();
        if (models.size() > 1) {
            throw new IllegalArgumentException(option + " holds the embeddings of several models (" + models
                    + "...); name one with --model-id, since only one model's embeddings are comparable");
        }
        return rows;
    }

    /** The pairs table: id_a, id_b, cosine. */
    public static final StructType PAIRS = new StructType().add("id_a", DataTypes.StringType)
            .add("id_b", DataTypes.StringType).add("cosine", DataTypes.DoubleType);
    /** The groups table: group_id, image_id. */
    public static final StructType GROUPS = new StructType().add("group_id", DataTypes.StringType)
            .add("image_id", DataTypes.StringType);

    private SimilaritySearch() {
    }

    /**
     * Unit vectors of {@code embeddings} (image_id, embedding): image_id, v. Rows whose embedding
     * is all zeros (no direction) are left out. An image's duplicate rows (a run appended twice)
     * stay, and {@link #pairs} gives each pair once: removing them here would shuffle every vector.
     */
    public static Dataset<Row> unitVectors(Dataset<Row> embeddings) {
        // A UDF, not SQL's aggregate() and transform(): those are interpreted, and the optimiser
        // inlined the norm into the division, computing it once per element.
        UDF1<scala.collection.Seq<Float>, float[]> unit = embedding -> {
            if (embedding == null) {
                return null;
            }
            int d = embedding.size();
            float[] v = new float[d];
            double sum = 0;
            for (int i = 0; i < d; i++) {
                v[i] = embedding.apply(i);
                sum += (double) v[i] * v[i];
            }
            if (!(sum > 0)) {
                return null;
            }
            double norm = Math.sqrt(sum);
            for (int i = 0; i < d; i++) {
                v[i] = (float) (v[i] / norm);
            }
            return v;
        };
        // JSON tables read their floats back as doubles.
        Column v = udf(unit, DataTypes.createArrayType(DataTypes.FloatType)).apply(col("embedding").cast("array<float>"));
        return embeddings.select(col("image_id").cast("string").as("image_id"), v.as("v")).where(col("v").isNotNull());
    }

    /**
     * The pairs at or above the threshold: id_a, id_b (id_a &lt; id_b), cosine. Write them before
     * grouping them ({@link #groups}), so that the search runs once.
     */
    public static Pairs pairs(SparkSession spark, Dataset<Row> vectors, Settings settings) {
        long count = vectors.count();
        String method = settings.method().equals("auto")
                ? (count < settings.exactBelow() || settings.threshold() < LshPlan.MIN_THRESHOLD ? "exact" : "lsh")
                : settings.method();
        Dataset<Row> pairs = count < 2 ? spark.createDataFrame(List.of(), PAIRS)
                : method.equals("exact") ? exactPairs(spark, vectors, settings.threshold(), count)
                : lshPairs(spark, vectors, settings);
        return new Pairs(pairs.dropDuplicates("id_a", "id_b"), method, count);
    }

    /** Every pair, by the dot products between each two blocks of vectors (a block with itself too). */
    static Dataset<Row> exactPairs(SparkSession spark, Dataset<Row> vectors, double threshold, long count) {
        Dataset<Row> blocks = blocks(vectors, count);
        long n = blockCount(count);
        Dataset<Row> blockPairs = blockPairs(spark, n, n, true, blocks, blocks);
        JavaRDD<Row> rows = blockPairs.javaRDD().flatMap(r -> {
            List<Row> out = new ArrayList<>();
            boolean same = r.getInt(0) == r.getInt(1);
            List<Row> a = r.getList(2);
            List<Row> b = r.getList(3);
            DenseMatrix dots = dots(a, b);
            for (int i = 0; i < a.size(); i++) {
                for (int j = same ? i + 1 : 0; j < b.size(); j++) {
                    double cosine = dots.apply(i, j);
                    String x = a.get(i).getString(0);
                    String y = b.get(j).getString(0);
                    if (cosine >= threshold && !x.equals(y)) {
                        out.add(x.compareTo(y) < 0 ? RowFactory.create(x, y, cosine) : RowFactory.create(y, x, cosine));
                    }
                }
            }
            return out.iterator();
        });
        return spark.createDataFrame(rows, PAIRS);
    }

    /**
     * Candidates from banded MLlib projections: images that share all of a band's buckets; each
     * candidate pair once, then its exact cosine.
     */
    static Dataset<Row> lshPairs(SparkSession spark, Dataset<Row> vectors, Settings settings) {
        int dimensions = vectors.select(expr("size(v)")).first().getInt(0);
        LshPlan plan = LshPlan.forThreshold(settings.threshold(), dimensions);
        Dataset<Row> features = vectors.withColumn("features", array_to_vector(col("v").cast("array<double>")));
        BucketedRandomProjectionLSHModel model = new BucketedRandomProjectionLSH().setInputCol("features")
                .setOutputCol("hashes").setBucketLength(plan.bucketLength()).setNumHashTables(plan.hashTables())
                .setSeed(settings.seed()).fit(features);
        int perBand = plan.perBand();
        UDF1<scala.collection.Seq<Vector>, long[]> bandKeys = hashes -> {
            long[] keys = new long[hashes.size() / perBand];
            for (int band = 0; band < keys.length; band++) {
                long key = band;
                for (int i = 0; i < perBand; i++) {
                    key = key * 1_000_003L + (long) hashes.apply(band * perBand + i).apply(0);
                }
                keys[band] = key;
            }
            return keys;
        };
        spark.udf().register("mobilenet_band_keys", udf(bandKeys, DataTypes.createArrayType(DataTypes.LongType)));
        Dataset<Row> keyed = model.transform(features)
                .select(col("image_id"), explode(expr("mobilenet_band_keys(hashes)")).as("key"));
        Dataset<Row> candidates = keyed.as("a").join(keyed.as("b"), col("a.key").equalTo(col("b.key"))
                        .and(col("a.image_id").lt(col("b.image_id"))))
                .select(col("a.image_id").as("id_a"), col("b.image_id").as("id_b")).distinct();
        return candidates.join(vectors.withColumnRenamed("image_id", "id_a").withColumnRenamed("v", "va"), "id_a")
                .join(vectors.withColumnRenamed("image_id", "id_b").withColumnRenamed("v", "vb"), "id_b")
                .select(col("id_a"), col("id_b"), udf(COSINE, DataTypes.DoubleType).apply(col("va"), col("vb")).as("cosine"))
                .where(col("cosine").geq(lit(settings.threshold())));
    }

    /**
     * Each image of {@code ids} (image_id) in its group: the connected components of the pairs
     * (GraphX), named by their smallest image_id; an image in no pair is a group of its own.
     */
    public static Dataset<Row> groups(SparkSession spark, Dataset<Row> ids, Dataset<Row> pairs) {
        // Sorted, so that the numbering is the same each time a job recomputes it.
        Dataset<Row> numbered = spark.createDataFrame(ids.distinct().orderBy("image_id").javaRDD().zipWithIndex()
                        .map(t -> RowFactory.create(t._1().getString(0), t._2())),
                new StructType().add("image_id", DataTypes.StringType).add("vertex", DataTypes.LongType));
        JavaRDD<Edge<Object>> edges = pairs.join(numbered.withColumnRenamed("image_id", "id_a").withColumnRenamed("vertex", "va"), "id_a")
                .join(numbered.withColumnRenamed("image_id", "id_b").withColumnRenamed("vertex", "vb"), "id_b")
                .select("va", "vb").javaRDD().map(r -> new Edge<Object>(r.getLong(0), r.getLong(1), Boolean.TRUE));
        ClassTag<Object> any = ClassTag$.MODULE$.apply(Object.class);
        Graph<Object, Object> graph = Graph.apply(numbered.javaRDD().map(r -> new Tuple2<Object, Object>(r.getLong(1), Boolean.TRUE)).rdd(),
                edges.rdd(), Boolean.TRUE, StorageLevel.MEMORY_AND_DISK(), StorageLevel.MEMORY_AND_DISK(), any, any);
        JavaRDD<Row> components = ConnectedComponents.run(graph, any, any).vertices().toJavaRDD()
                .map(t -> RowFactory.create(((Number) t._1()).longValue(), ((Number) t._2()).longValue()));
        Dataset<Row> byVertex = spark.createDataFrame(components,
                new StructType().add("vertex", DataTypes.LongType).add("component", DataTypes.LongType));
        Dataset<Row> members = numbered.join(byVertex, "vertex");
        Dataset<Row> names = members.groupBy("component").agg(min("image_id").as("group_id"));
        return members.join(names, "component").select("group_id", "image_id");
    }

    /**
     * The {@code k} images of {@code vectors} nearest each query vector by exact cosine (the
     * query image itself left out): query_id, rank (from 1), image_id, cosine.
     */
    public static Dataset<Row> nearest(SparkSession spark, Dataset<Row> queries, Dataset<Row> vectors, int k) {
        long count = vectors.count();
        queries = queries.dropDuplicates("image_id");
        long queryCount = queries.count();
        Dataset<Row> blockPairs = blockPairs(spark, blockCount(queryCount), blockCount(count), false,
                blocks(queries, queryCount), blocks(vectors, count));
        StructType schema = new StructType().add("query_id", DataTypes.StringType).add("image_id", DataTypes.StringType)
                .add("cosine", DataTypes.DoubleType);
        JavaRDD<Row> best = blockPairs.javaRDD().flatMap(r -> topK(r.getList(2), r.getList(3), k));
        return spark.createDataFrame(best, schema)
                .withColumn("rank", expr("row_number() over (partition by query_id order by cosine desc, image_id)"))
                .where(col("rank").leq(k)).select("query_id", "rank", "image_id", "cosine");
    }

    private static Iterator<Row> topK(List<Row> queries, List<Row> block, int k) {
        DenseMatrix dots = dots(queries, block);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            String query = queries.get(i).getString(0);
            PriorityQueue<Object[]> heap = new PriorityQueue<>(k + 1, (x, y) -> Double.compare((double) x[1], (double) y[1]));
            Set<String> held = new HashSet<>();
            for (int j = 0; j < block.size(); j++) {
                String id = block.get(j).getString(0);
                // An image's duplicate rows hash to one block: each neighbour once.
                if (id.equals(query) || !held.add(id)) {
                    continue;
                }
                heap.add(new Object[] {id, dots.apply(i, j)});
                if (heap.size() > k) {
                    heap.poll();
                }
            }
            for (Object[] e : heap) {
                out.add(RowFactory.create(query, e[0], e[1]));
            }
        }
        return out.iterator();
    }

    /**
     * Every dot product between the vectors of {@code a} and of {@code b} (rows of image_id, v):
     * one matrix product by Spark's BLAS, in double precision.
     */
    static DenseMatrix dots(List<Row> a, List<Row> b) {
        return matrix(a).multiply(matrix(b).transpose());
    }

    /** The vectors as the rows of a matrix. */
    private static DenseMatrix matrix(List<Row> rows) {
        int n = rows.size();
        int d = rows.isEmpty() ? 0 : rows.get(0).getList(1).size();
        double[] values = new double[n * d];
        for (int i = 0; i < n; i++) {
            List<Float> v = rows.get(i).getList(1);
            if (v.size() != d) {
                throw new IllegalArgumentException("embeddings of different lengths: " + d + " and " + v.size()
                        + " (image " + rows.get(i).getString(0) + ")");
            }
            for (int j = 0; j < d; j++) {
                values[i + j * n] = v.get(j);
            }
        }
        return new DenseMatrix(n, d, values);
    }

    private static long blockCount(long vectors) {
        return Math.max(1, (vectors + BLOCK - 1) / BLOCK);
    }

    /**
     * Every pair of a block of {@code left} and a block of {@code right} ({@code a <= b} when
     * {@code upper}, for a table with itself): a, b, rows_a, rows_b. The pairs are listed first
     * and the blocks joined to them, so that the tasks follow the pairs of blocks, where a cross
     * join of the two tables would run one task per pair of their partitions, nearly all empty.
     */
    private static Dataset<Row> blockPairs(SparkSession spark, long leftBlocks, long rightBlocks, boolean upper,
                                           Dataset<Row> left, Dataset<Row> right) {
        Dataset<Row> pairs = spark.range(leftBlocks).select(col("id").cast("int").as("a"))
                .crossJoin(spark.range(rightBlocks).select(col("id").cast("int").as("b")));
        if (upper) {
            pairs = pairs.where(col("a").leq(col("b")));
        }
        return pairs.join(left.select(col("block").as("a"), col("rows").as("rows_a")), "a")
                .join(right.select(col("block").as("b"), col("rows").as("rows_b")), "b")
                .select("a", "b", "rows_a", "rows_b");
    }

    /** Vectors in blocks of about {@link #BLOCK}, by a hash of the id: block, list of (image_id, v). */
    private static Dataset<Row> blocks(Dataset<Row> vectors, long count) {
        long blocks = blockCount(count);
        return vectors.withColumn("block", pmod(xxhash64(col("image_id")), lit(blocks)).cast("int"))
                .groupBy("block").agg(collect_list(struct(col("image_id"), col("v"))).as("rows"));
    }

    /** The dot product of two unit vectors as SQL hands them to a UDF, in double precision. */
    private static final UDF2<scala.collection.Seq<Float>, scala.collection.Seq<Float>, Double> COSINE = (a, b) -> {
        double sum = 0;
        for (int i = 0; i < a.size(); i++) {
            sum += (double) a.apply(i) * b.apply(i);
        }
        return sum;
    };

    static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }
}
