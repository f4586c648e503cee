package dev.mobilenetspark.job.cli;

import dev.mobilenetspark.job.SparkSessions;
import dev.mobilenetspark.job.StoredTable;
import dev.mobilenetspark.job.geo.GeoEval;

import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code geo-eval}: how far a places model's predicted positions lie from the truth, as the
 * PlaNet and MobileNet papers report it. Options may come from {@code spark.mobilenet.geo-eval.NAME}.
 */
@Command(name = "geo-eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print (and with --output write) the share of images predicted within 1, 25, 200, 750 and"
                + " 2,500 km of their true position.")
final class GeoEvalCommand extends ConfiguredCommand {

    @Option(names = "--predictions", required = true, paramLabel = "PATH|TABLE",
            description = "The labels table infer wrote with a places model (image_id, lat, lng).")
    String predictions;

    @Option(names = "--truth", required = true, paramLabel = "PATH|TABLE",
            description = "The true positions: image_id, lat, lng (degrees).")
    String truth;

    @Option(names = "--output", paramLabel = "PATH", description = "Also write the table: km, images, within, share.")
    String output;

    @Mixin
    TableOutput tables;

    @Override
    int run() throws Exception {
        Configuration hadoop = SparkSessions.hadoopConfiguration();
        StoredTable predicted = StoredTable.resolve(predictions, "--predictions", hadoop);
        StoredTable positions = StoredTable.resolve(truth, "--truth", hadoop);
        if (output != null) {
            tables.check(hadoop, output);
        }
        try (SparkSessions.Handle spark = SparkSessions.getOrCreate(predicted.format())) {
            GeoEval.Result result = GeoEval.evaluate(predicted.read(spark.session()), positions.read(spark.session()));
            if (output != null) {
                tables.writer().write(result.table(spark.session()), output);
            }
            System.out.print(result.format());
            return 0;
        }
    }
}
