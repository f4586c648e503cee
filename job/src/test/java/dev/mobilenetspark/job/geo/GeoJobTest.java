package dev.mobilenetspark.job.geo;

import com.google.common.geometry.S2CellId;
import com.google.common.geometry.S2LatLng;

import dev.mobilenetspark.job.CliRun;
import dev.mobilenetspark.job.SparkTestBase;
import dev.mobilenetspark.model.file.ModelFile;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The places pipeline on the stand-in for geotagged photos (patches of NASA's Blue Marble at
 * known positions, {@code data-samples/earth-patches}): geo-cells, train-head on the cells,
 * infer with the places model, geo-eval, each checked against S2 and the haversine formula here.
 */
class GeoJobTest extends SparkTestBase {

    static final String TRAIN = "../data-samples/earth-patches/train-600.parquet";
    static final String TEST = "../data-samples/earth-patches/test-200.parquet";

    private static Path embedded;
    private static Path cells;

    @BeforeAll
    static void embedAndPartitionOnce() {
        embedded = dir.resolve("embedded");
        infer(smallInfer("--input", TRAIN, "--id-column", "image_id", "--output", embedded.resolve("train").toString()));
        infer(smallInfer("--input", TEST, "--id-column", "image_id", "--output", embedded.resolve("test").toString()));
        cells = dir.resolve("cells");
        run("geo-cells", "--points", TRAIN, "--output", cells.toString(), "--max-per-cell", "60", "--min-per-cell", "5");
    }

    @Test
    void cellsAreDisjointHoldAtMostTheMaximumAndCountTheirPoints() {
        List<Row> rows = spark.read().parquet(cells.toString()).collectAsList();
        List<S2CellId> ids = new ArrayList<>();
        Map<S2CellId, Long> counted = new HashMap<>();
        for (Row r : rows) {
            S2CellId cell = S2CellId.fromToken(r.getString(0));
            assertEquals(cell.level(), r.getInt(1));
            S2LatLng centre = cell.toLatLng();
            assertEquals(centre.latDegrees(), r.getDouble(2), 1e-9);
            assertEquals(centre.lngDegrees(), r.getDouble(3), 1e-9);
            assertTrue(r.getLong(4) >= 5 && r.getLong(4) <= 60, "count " + r.getLong(4));
            ids.add(cell);
            counted.put(cell, r.getLong(4));
        }
        assertTrue(ids.size() >= 5, "cells: " + ids.size());
        for (S2CellId a : ids) {
            for (S2CellId b : ids) {
                assertTrue(a.equals(b) || !a.intersects(b), a + " and " + b + " overlap");
            }
        }
        Map<S2CellId, Long> found = new HashMap<>();
        long dropped = 0;
        for (Row p : spark.read().parquet(TRAIN).select("lat", "lng").collectAsList()) {
            S2CellId leaf = S2CellId.fromLatLng(S2LatLng.fromDegrees(p.getDouble(0), p.getDouble(1)));
            S2CellId home = ids.stream().filter(c -> c.contains(leaf)).findFirst().orElse(null);
            if (home == null) {
                dropped++;
            } else {
                found.merge(home, 1L, Long::sum);
            }
        }
        assertEquals(counted, found);
        assertTrue(dropped < 600, "dropped only the points of cells under the minimum: " + dropped);
        // Each dropped point's cell held fewer than the minimum, so one level up it was split: not
        // every point can have been dropped, and a cell under the maximum was never split.
        for (S2CellId c : ids) {
            if (!c.isFace()) {
                assertTrue(parentCount(c.parent()) > 60, c + "'s parent was split only because it held more than 60");
            }
        }
    }

    @Test
    void aPlacesModelPredictsPositionsThatGeoEvalMeasures() throws Exception {
        Path model = dir.resolve("places.zip");
        CliRun trained = CliRun.of("train-head", "--embeddings", embedded.resolve("train/embeddings") + ","
                        + embedded.resolve("test/embeddings"), "--cells", cells.toString(), "--points", TRAIN,
                "--test-points", TEST, "--alpha", "0.25", "--resolution", "64", "--classes", "10",
                "--output", model.toString(), "--max-iter", "30");
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(trained.out().contains("held-out accuracy: top-1"), "the test points are held out: " + trained.out());
        assertTrue(ModelFile.read(model).labels().name(0).startsWith("s2:"));

        Path out = dir.resolve("placed");
        infer("infer", "--input", TEST, "--id-column", "image_id", "--model", model.toString(), "--top-k", "2",
                "--embeddings=false", "--output", out.toString());
        List<Row> labels = table(out, "labels").select("image_id", "label", "cell", "lat", "lng").collectAsList();
        assertEquals(200, labels.size());
        Map<String, double[]> predicted = new HashMap<>();
        for (Row r : labels) {
            S2CellId cell = S2CellId.fromToken(r.getString(2));
            assertEquals("s2:" + r.getString(2), r.getList(1).get(0));
            assertEquals(cell.toLatLng().latDegrees(), r.getDouble(3), 1e-9);
            assertEquals(cell.toLatLng().lngDegrees(), r.getDouble(4), 1e-9);
            predicted.put(r.getString(0), new double[] {r.getDouble(3), r.getDouble(4)});
        }

        Path evaluation = dir.resolve("geo-eval");
        run("geo-eval", "--predictions", out.resolve("labels").toString(), "--truth", TEST, "--output", evaluation.toString());
        long[] within = new long[GeoEval.KILOMETRES.size()];
        for (Row t : spark.read().parquet(TEST).select("image_id", "lat", "lng").collectAsList()) {
            double[] p = predicted.get(t.getString(0));
            double km = S2LatLng.fromDegrees(t.getDouble(1), t.getDouble(2)).getDistance(S2LatLng.fromDegrees(p[0], p[1]))
                    .radians() * GeoEval.EARTH_KM;
            for (int i = 0; i < within.length; i++) {
                within[i] += km <= GeoEval.KILOMETRES.get(i) ? 1 : 0;
            }
        }
        List<Row> table = spark.read().parquet(evaluation.toString()).orderBy("km").collectAsList();
        for (int i = 0; i < within.length; i++) {
            assertEquals(GeoEval.KILOMETRES.get(i), table.get(i).getInt(0));
            assertEquals(200, table.get(i).getLong(1));
            assertEquals(within[i], table.get(i).getLong(2), "within " + GeoEval.KILOMETRES.get(i) + " km");
        }
        assertTrue(within[4] > 0, "some test patches land within 2,500 km");
    }

    @Test
    void aModelWithoutPlacesHasNoPositionsToEvaluate() {
        CliRun run = CliRun.of("geo-eval", "--predictions", embedded.resolve("test/labels").toString(), "--truth", TEST);
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("no column 'lat'"), run.err());
        assertNull(table(embedded.resolve("test"), "labels").schema().getFieldIndex("cell").getOrElse(() -> null));
    }

    @Test
    void positionsThatAreNoNumbersOrOffTheEarthAreLeftOut() {
        List<Row> rows = List.of(RowFactory.create("a", "48.85", "2.35"), RowFactory.create("b", "NA", "2.35"),
                RowFactory.create("c", "91", "0"), RowFactory.create("d", null, "0"), RowFactory.create("e", "-33.9", "181"));
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("lat", DataTypes.StringType)
                .add("lng", DataTypes.StringType);
        List<Row> valid = GeoCells.validPoints(spark.createDataFrame(rows, schema)).collectAsList();
        assertEquals(List.of("a"), valid.stream().map(r -> r.getString(0)).toList());
        assertEquals(48.85, valid.get(0).getDouble(1), 1e-12);
    }

    private static long parentCount(S2CellId parent) {
        long n = 0;
        for (Row p : spark.read().parquet(TRAIN).select("lat", "lng").collectAsList()) {
            n += parent.contains(S2CellId.fromLatLng(S2LatLng.fromDegrees(p.getDouble(0), p.getDouble(1)))) ? 1 : 0;
        }
        return n;
    }

    private static void run(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exit(), run.err());
    }
}
