package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.job.StoredTable;
import dev.mobilenetspark.job.geo.GeoCells;

import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;

/**
 * {@code geo-cells}: PlaNet's adaptive S2 partition of the training images' positions: the
 * classes of a places model. Options may come from {@code spark.mobilenet.geo-cells.NAME}.
 */
@Command(name = "geo-cells", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Partition the images' coordinates adaptively into S2 cells, as PlaNet does; write"
                + " cell_token, level, centre_lat, centre_lng, count.")
final class GeoCellsCommand extends ConfiguredCommand {

    @Option(names = "--points", required = true, paramLabel = "PATH|TABLE",
            description = "The training images' positions: a table, or Parquet or CSV files, with image_id, lat and lng (degrees).")
    String points;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "The cells table.")
    String output;

    @Option(names = "--max-per-cell", defaultValue = "10000",
            description = "Split a cell holding more images than this (default: ${DEFAULT-VALUE}).")
    long maxPerCell;

    @Option(names = "--min-per-cell", defaultValue = "50",
            description = "Drop a cell holding fewer images than this (default: ${DEFAULT-VALUE}).")
    long minPerCell;

    @Option(names = "--max-level", defaultValue = "30",
            description = "Never split below this S2 level (default: ${DEFAULT-VALUE}, the leaves).")
    int maxLevel;

    @Mixin
    TableOutput tables;

    @Override
    int run() throws Exception {
        GeoCells.Settings settings = new GeoCells.Settings(maxPerCell, minPerCell, maxLevel);
        Configuration hadoop = SparkSessions.hadoopConfiguration();
        StoredTable input = StoredTable.resolve(points, "--points", hadoop);
        tables.check(hadoop, output);
        try (SparkSessions.Handle spark = SparkSessions.getOrCreate(tables.format)) {
            List<GeoCells.Cell> cells = GeoCells.partition(spark.session(), input.read(spark.session()), settings);
            tables.writer().write(GeoCells.table(spark.session(), cells), output);
            long images = cells.stream().mapToLong(GeoCells.Cell::count).sum();
            System.out.printf(Locale.ROOT, "%d cells (levels %d to %d) holding %d images; wrote %s%n", cells.size(),
                    cells.stream().mapToInt(GeoCells.Cell::level).min().orElse(0),
                    cells.stream().mapToInt(GeoCells.Cell::level).max().orElse(0), images, output);
            return 0;
        }
    }
}
