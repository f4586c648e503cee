package dev.mobilenetspark.job.similar;

import dev.mobilenetspark.job.SparkSessions;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How well embeddings separate near-duplicates from distinct photos: on the versions
 * {@code data-samples/near-duplicates/prepare.sh} makes (files PHOTO__VERSION.EXT), for each
 * embeddings table given, the share of true pairs below the most similar distinct pair, and
 * per threshold the recall of true pairs, the false pairs and the photos whose group is exactly
 * their versions. Not a test: prints a table.
 *
 * <pre>
 * java -cp ... dev.mobilenetspark.job.similar.NearDuplicateBenchmark NAME=EMBEDDINGS_DIR ...
 * </pre>
 */
public final class NearDuplicateBenchmark {

    private NearDuplicateBenchmark() {
    }

    public static void main(String[] args) {
        try (SparkSessions.Handle handle = SparkSessions.getOrCreate()) {
            run(handle.session(), args);
        }
    }

    private static void run(SparkSession spark, String[] args) {
        for (String arg : args) {
            String name = arg.substring(0, arg.indexOf('='));
            List<Row> rows = SimilaritySearch.unitVectors(spark.read().parquet(arg.substring(arg.indexOf('=') + 1)))
                    .collectAsList();
            report(name, rows);
        }
    }

    private static void report(String name, List<Row> rows) {
        int n = rows.size();
        String[] photo = new String[n];
        String[] version = new String[n];
        float[][] v = new float[n][];
        for (int i = 0; i < n; i++) {
            String file = rows.get(i).getString(0).replaceFirst(".*/", "");
            photo[i] = file.substring(0, file.indexOf("__"));
            version[i] = file.substring(file.indexOf("__") + 2, file.lastIndexOf('.'));
            List<Float> list = rows.get(i).getList(1);
            v[i] = new float[list.size()];
            for (int d = 0; d < v[i].length; d++) {
                v[i][d] = list.get(d);
            }
        }
        double[][] cos = new double[n][n];
        double maxFalse = -1;
        List<Double> trueCosines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                cos[i][j] = SimilaritySearch.dot(v[i], v[j]);
                if (photo[i].equals(photo[j])) {
                    trueCosines.add(cos[i][j]);
                } else {
                    maxFalse = Math.max(maxFalse, cos[i][j]);
                }
            }
        }
        double most = maxFalse;
        long below = trueCosines.stream().filter(c -> c <= most).count();
        Set<String> photos = new HashSet<>(List.of(photo));
        System.out.printf(Locale.ROOT, "%n%s: %d images of %d photos, %d true pairs; most similar distinct pair %.4f;"
                        + " %.0f%% of true pairs at or below it%n", name, n, photos.size(), trueCosines.size(), maxFalse,
                100.0 * below / trueCosines.size());
        System.out.printf(Locale.ROOT, "%9s %8s %11s %12s%n", "threshold", "recall", "false pairs", "exact groups");
        double bestScore = -1;
        String best = "";
        for (int t = 800; t <= 995; t += 5) {
            double threshold = t / 1000.0;
            long found = 0;
            long wrong = 0;
            int[] parent = new int[n];
            for (int i = 0; i < n; i++) {
                parent[i] = i;
            }
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    if (cos[i][j] >= threshold) {
                        if (photo[i].equals(photo[j])) {
                            found++;
                        } else {
                            wrong++;
                        }
                        parent[root(parent, i)] = root(parent, j);
                    }
                }
            }
            int exact = exactGroups(parent, photo, photos);
            String line = String.format(Locale.ROOT, "%9.3f %8.3f %11d %9d/%d", threshold, found / (double) trueCosines.size(),
                    wrong, exact, photos.size());
            System.out.println(line);
            double score = exact + found / (double) trueCosines.size() - wrong / 1000.0;
            if (score > bestScore) {
                bestScore = score;
                best = line;
            }
        }
        System.out.println("best: " + best.trim());
        Map<String, List<Double>> byVersion = new HashMap<>();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j && photo[i].equals(photo[j]) && version[i].equals("original")) {
                    byVersion.computeIfAbsent(version[j], k -> new ArrayList<>()).add(cos[Math.min(i, j)][Math.max(i, j)]);
                }
            }
        }
        StringBuilder versions = new StringBuilder("lowest cosine to its original, by version:");
        byVersion.keySet().stream().sorted().forEach(k -> versions.append(String.format(Locale.ROOT, " %s %.3f", k,
                byVersion.get(k).stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN))));
        System.out.println(versions);
    }

    /** Photos whose connected component is exactly their own versions. */
    private static int exactGroups(int[] parent, String[] photo, Set<String> photos) {
        int exact = 0;
        for (String p : photos) {
            Set<Integer> roots = new HashSet<>();
            int members = 0;
            for (int i = 0; i < photo.length; i++) {
                if (photo[i].equals(p)) {
                    roots.add(root(parent, i));
                }
            }
            if (roots.size() == 1) {
                int r = roots.iterator().next();
                for (int i = 0; i < photo.length; i++) {
                    members += root(parent, i) == r ? 1 : 0;
                }
                long own = java.util.Arrays.stream(photo).filter(p::equals).count();
                exact += members == own ? 1 : 0;
            }
        }
        return exact;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            i = parent[i];
        }
        return i;
    }
}
