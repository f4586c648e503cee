package dev.mobilenetspark.job;

import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * How the commands that write whole small tables (similar, geo-cells, geo-eval) write them, and
 * read back what they wrote.
 *
 * @param format parquet, orc, json, csv (with a header) or delta
 * @param mode   errorifexists or overwrite
 */
public record TableWriter(String format, String mode) {

    public void write(Dataset<Row> rows, String path) {
        rows.write().format(format).mode(mode).option("header", true).save(path);
    }

    /** A table written here, with its schema given: an empty JSON or CSV table has none to infer. */
    public Dataset<Row> read(SparkSession spark, String path, StructType schema) {
        DataFrameReader reader = spark.read().format(format).option("header", true);
        // Delta keeps its schema in its log and refuses one given at read time.
        return (format.equals("delta") ? reader : reader.schema(schema)).load(path);
    }
}
