package dev.mobilenetspark.job.geo;

import com.google.common.geometry.S2CellId;
import com.google.common.geometry.S2LatLng;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.callUDF;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

/**
 * PlaNet's adaptive partition of the Earth (Weyand et al. 2016; MobileNet paper section 4.5):
 * starting from the six faces of the S2 cube, a cell is split into its four children while it
 * holds more than {@code maxPerCell} images, and cells left with fewer than {@code minPerCell}
 * are dropped. Each level is one pass over the points, counted by Spark; the driver only sees
 * cells.
 */
public final class GeoCells {

    /** A cell of the partition: its token, level, centre and how many training images fall in it. */
    public record Cell(String token, int level, double centreLat, double centreLng, long count) { }

    /**
     * @param maxPerCell split a cell holding more images than this
     * @param minPerCell drop a cell holding fewer
     * @param maxLevel   never split below this level (30: S2's leaves, about 1 cm)
     */
    public record Settings(long maxPerCell, long minPerCell, int maxLevel) {

        public Settings {
            if (maxPerCell < 1 || minPerCell < 0 || minPerCell > maxPerCell) {
                throw new IllegalArgumentException("--max-per-cell must be at least 1 and --min-per-cell from 0 to it, got "
                        + maxPerCell + " and " + minPerCell);
            }
            if (maxLevel < 0 || maxLevel > S2CellId.MAX_LEVEL) {
                throw new IllegalArgumentException("--max-level must be 0 to " + S2CellId.MAX_LEVEL + ", got " + maxLevel);
            }
        }
    }

    public static final StructType SCHEMA = new StructType().add("cell_token", DataTypes.StringType)
            .add("level", DataTypes.IntegerType).add("centre_lat", DataTypes.DoubleType)
            .add("centre_lng", DataTypes.DoubleType).add("count", DataTypes.LongType);

    private static final String CELL_AT = "mobilenet_s2_cell";

    private GeoCells() {
    }

    /** The points' valid rows: lat in [-90, 90], lng in [-180, 180], as doubles; others (nulls, text) left out. */
    public static Dataset<Row> validPoints(Dataset<Row> points) {
        for (String column : List.of("image_id", "lat", "lng")) {
            if (!List.of(points.columns()).contains(column)) {
                throw new IllegalArgumentException("the points have no column '" + column + "' (they have "
                        + List.of(points.columns()) + ")");
            }
        }
        // A CSV's "NA" is no position, not a failed job (Spark 4 casts in ANSI mode).
        Column lat = expr("try_cast(lat as double)");
        Column lng = expr("try_cast(lng as double)");
        return points.select(col("image_id").cast("string").as("image_id"), lat.as("lat"), lng.as("lng"))
                .where(lat.between(-90, 90).and(lng.between(-180, 180)));
    }

    /** The partition of {@code points} (image_id, lat, lng), largest cells first. */
    public static List<Cell> partition(SparkSession spark, Dataset<Row> points, Settings settings) {
        register(spark);
        Dataset<Row> valid = validPoints(points);
        List<Cell> kept = new ArrayList<>();
        List<Long> split = null;
        for (int level = 0; level <= settings.maxLevel(); level++) {
            Dataset<Row> here = valid.withColumn("cell", callUDF(CELL_AT, col("lat"), col("lng"), lit(level)));
            if (split != null) {
                List<Row> parents = split.stream().map(id -> RowFactory.create(id)).toList();
                Dataset<Row> splitCells = spark.createDataFrame(parents, new StructType().add("parent", DataTypes.LongType));
                here = here.withColumn("parent", callUDF(CELL_AT, col("lat"), col("lng"), lit(level - 1)))
                        .join(broadcast(splitCells), "parent");
            }
            List<Long> next = new ArrayList<>();
            for (Row r : here.groupBy("cell").count().collectAsList()) {
                long count = r.getLong(1);
                S2CellId cell = new S2CellId(r.getLong(0));
                if (count > settings.maxPerCell() && level < settings.maxLevel()) {
                    next.add(cell.id());
                } else if (count >= settings.minPerCell()) {
                    S2LatLng centre = cell.toLatLng();
                    kept.add(new Cell(cell.toToken(), level, centre.latDegrees(), centre.lngDegrees(), count));
                }
            }
            if (next.isEmpty()) {
                break;
            }
            split = next;
        }
        kept.sort(Comparator.comparingLong(Cell::count).reversed().thenComparing(Cell::token));
        return kept;
    }

    /** The cells as a table of {@link #SCHEMA}. */
    public static Dataset<Row> table(SparkSession spark, List<Cell> cells) {
        List<Row> rows = cells.stream().map(c -> RowFactory.create(c.token(), c.level(), c.centreLat(), c.centreLng(),
                c.count())).toList();
        return spark.createDataFrame(rows, SCHEMA);
    }

    /**
     * Each point's class in a places model: {@code s2:TOKEN} of the cell of {@code cells}
     * (a {@code geo-cells} table) it falls in; points in no cell (a dropped one) are left out.
     */
    public static Dataset<Row> labels(SparkSession spark, Dataset<Row> points, Dataset<Row> cells) {
        if (!List.of(cells.columns()).contains("cell_token")) {
            throw new IllegalArgumentException("the cells table has no column 'cell_token' (it has "
                    + List.of(cells.columns()) + "): give the table geo-cells wrote");
        }
        Map<Long, String> byId = new HashMap<>();
        TreeSet<Integer> levels = new TreeSet<>();
        for (Row r : cells.select(col("cell_token").cast("string")).collectAsList()) {
            S2CellId cell = Places.cell(r.getString(0));
            if (cell == null) {
                throw new IllegalArgumentException("the cells table names no S2 cell with '" + r.getString(0) + "'");
            }
            byId.put(cell.id(), Places.label(cell));
            levels.add(cell.level());
        }
        int[] levelArray = levels.stream().mapToInt(Integer::intValue).toArray();
        UDF2<Double, Double, String> label = (lat, lng) -> {
            S2CellId leaf = S2CellId.fromLatLng(S2LatLng.fromDegrees(lat, lng));
            for (int level : levelArray) {
                String name = byId.get(leaf.parent(level).id());
                if (name != null) {
                    return name;
                }
            }
            return null;
        };
        Column name = udf(label, DataTypes.StringType).apply(col("lat"), col("lng"));
        return validPoints(points).select(col("image_id"), name.as("label")).where(col("label").isNotNull());
    }

    private static void register(SparkSession spark) {
        UDF3<Double, Double, Integer, Long> cellAt = (lat, lng, level) ->
                S2CellId.fromLatLng(S2LatLng.fromDegrees(lat, lng)).parent(level).id();
        spark.udf().register(CELL_AT, cellAt, DataTypes.LongType);
    }
}
