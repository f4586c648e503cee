package dev.mobilenetspark.job.geo;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.asin;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.cos;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.radians;
import static org.apache.spark.sql.functions.sin;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * The table the PlaNet and MobileNet papers report: the share of images whose predicted position
 * lies within 1, 25, 200, 750 and 2,500 km (great-circle) of the truth.
 */
public final class GeoEval {

    /** Street, city, region, country, continent. */
    public static final List<Integer> KILOMETRES = List.of(1, 25, 200, 750, 2500);
    /** PlaNet on Im2GPS (the MobileNet paper's Table 11), per threshold, in %. */
    public static final List<Double> PLANET_IM2GPS = List.of(8.4, 24.5, 37.6, 53.6, 71.3);
    /** The Earth's mean radius (IUGG), km. */
    static final double EARTH_KM = 6371.0088;

    /**
     * @param images    images of the truth
     * @param predicted of them, those with a prediction (the others count as misses)
     * @param within    per threshold of {@link #KILOMETRES}, images predicted that close
     */
    public record Result(long images, long predicted, List<Long> within) {

        public double share(int i) {
            return images == 0 ? Double.NaN : within.get(i) / (double) images;
        }

        public String format() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "%d images with a true position, %d of them predicted%n%-10s %9s %9s %15s%n", images, predicted,
                    "within", "images", "share", "PlaNet Im2GPS"));
            for (int i = 0; i < KILOMETRES.size(); i++) {
                out.append(String.format(Locale.ROOT, "%-10s %9d %8.1f%% %14.1f%%%n", KILOMETRES.get(i) + " km",
                        within.get(i), 100 * share(i), PLANET_IM2GPS.get(i)));
            }
            return out.toString();
        }

        /** The table written: km, images, within, share. */
        public Dataset<Row> table(SparkSession spark) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < KILOMETRES.size(); i++) {
                rows.add(RowFactory.create(KILOMETRES.get(i), images, within.get(i), share(i)));
            }
            return spark.createDataFrame(rows, new StructType().add("km", DataTypes.IntegerType)
                    .add("images", DataTypes.LongType).add("within", DataTypes.LongType).add("share", DataTypes.DoubleType));
        }
    }

    private GeoEval() {
    }

    /** Compares {@code predictions} (a places model's labels table: image_id, lat, lng) with {@code truth}. */
    public static Result evaluate(Dataset<Row> predictions, Dataset<Row> truth) {
        if (!List.of(predictions.columns()).contains("lat")) {
            throw new IllegalArgumentException("the predictions have no column 'lat' (they have "
                    + List.of(predictions.columns()) + "): give the labels table of a places model");
        }
        Dataset<Row> t = GeoCells.validPoints(truth).dropDuplicates("image_id");
        Dataset<Row> p = predictions.select(col("image_id").cast("string").as("image_id"),
                col("lat").as("p_lat"), col("lng").as("p_lng")).dropDuplicates("image_id");
        Dataset<Row> joined = t.join(p, t.col("image_id").equalTo(p.col("image_id")), "left")
                .withColumn("km", kilometres(col("lat"), col("lng"), col("p_lat"), col("p_lng")));
        List<Column> aggregates = new ArrayList<>(List.of(count(lit(1)), count(col("p_lat"))));
        for (int km : KILOMETRES) {
            aggregates.add(sum(when(col("km").leq(km), 1).otherwise(0)));
        }
        Row r = joined.agg(aggregates.get(0), aggregates.subList(1, aggregates.size()).toArray(Column[]::new)).first();
        List<Long> within = new ArrayList<>();
        for (int i = 0; i < KILOMETRES.size(); i++) {
            within.add(r.isNullAt(2 + i) ? 0 : r.getLong(2 + i));
        }
        return new Result(r.getLong(0), r.getLong(1), within);
    }

    /** Great-circle distance by the haversine formula, in km. */
    static Column kilometres(Column lat1, Column lng1, Column lat2, Column lng2) {
        Column dLat = radians(lat2.minus(lat1)).divide(2);
        Column dLng = radians(lng2.minus(lng1)).divide(2);
        Column h = pow(sin(dLat), 2).plus(cos(radians(lat1)).multiply(cos(radians(lat2))).multiply(pow(sin(dLng), 2)));
        return asin(least(sqrt(h), lit(1.0))).multiply(2 * EARTH_KM);
    }
}
