package dev.mobilenetspark.job;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Chunks of a Parquet input, planned from the files' footers on the driver or by a job. */
class ChunkPlanTest extends SparkTestBase {

    private static final String THRESHOLD = "spark.sql.sources.parallelPartitionDiscovery.threshold";

    /** Files of 3, 0, 2, 4 and 1 rows, one write each, named in that order. */
    private static Path input() throws IOException {
        Path input = Files.createDirectories(dir.resolve("input"));
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("image", DataTypes.BinaryType);
        int[] sizes = {3, 0, 2, 4, 1};
        for (int f = 0; f < sizes.length; f++) {
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < sizes[f]; r++) {
                rows.add(RowFactory.create(f + "-" + r, new byte[] {(byte) r}));
            }
            Path written = dir.resolve("written" + f);
            spark.createDataFrame(rows, schema).coalesce(1).write().parquet(written.toString());
            try (Stream<Path> parts = Files.list(written)) {
                Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
                Files.move(part, input.resolve("f" + f + ".parquet"));
            }
        }
        return input;
    }

    private static InputSpec spec(Path input) {
        return new InputSpec(input.toString(), "parquet", "image", "image_id", null, List.of(), false, null, 0);
    }

    private static List<List<Long>> plan(Path input) throws IOException {
        List<List<Long>> chunks = new ArrayList<>();
        for (ChunkPlan.Chunk chunk : ChunkPlan.of(spark, spec(input), 5, null, "run").chunks()) {
            chunks.add(chunk.files().stream().map(ChunkPlan.InputFile::size).toList());
        }
        return chunks;
    }

    @Test
    void filesAreChunkedByTheirFootersRowCountsInPathOrderWhereverTheFootersAreRead() throws IOException {
        Path input = input();
        // The file without rows is left out; 3 + 2 rows fill the first chunk of 5, 4 + 1 the second.
        List<List<Long>> expected = List.of(List.of(3L, 2L), List.of(4L, 1L));
        assertEquals(expected, plan(input), "read on the driver");
        ChunkPlan plan = ChunkPlan.of(spark, spec(input), 5, null, "run");
        assertEquals(3, plan.firstBatch(32, 2), "the first chunk's 5 rows over 2 slots start with batches of 3");
        assertEquals(2, plan.firstBatch(2, 2), "never more than the batch size");
        spark.conf().set(THRESHOLD, 1);
        try {
            assertEquals(expected, plan(input), "read by a job");
        } finally {
            spark.conf().unset(THRESHOLD);
        }
    }

    @Test
    void partitionsGivenAreTheTasksAChunkOfImagesIsListedInWithoutAShuffle() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 5; i++) {
            Files.write(images.resolve("i" + i + ".jpg"), new byte[] {(byte) i});
        }
        InputSpec spec = new InputSpec(images.toString(), "images", "image", "image_id", null, List.of(), false, null, 3);
        ChunkPlan plan = ChunkPlan.of(spark, spec, 10, null, "run");
        assertEquals(2, plan.firstBatch(32, 2), "5 rows over the 3 tasks asked for");
        Dataset<Row> rows = plan.read(spark, plan.chunks().get(0));
        assertEquals(3, rows.rdd().getNumPartitions());
        assertFalse(rows.queryExecution().executedPlan().toString().contains("Exchange"),
                () -> rows.queryExecution().executedPlan().toString());
        assertEquals(5, rows.count());
    }

    @Test
    void aChunkOfAPartitionedInputKeepsItsPartitionColumnWithTheFileSchema() throws IOException {
        Path input = dir.resolve("by-day");
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("image", DataTypes.BinaryType)
                .add("day", DataTypes.IntegerType);
        spark.createDataFrame(List.of(RowFactory.create("a", new byte[] {1}, 1), RowFactory.create("b", new byte[] {2}, 2),
                RowFactory.create("c", new byte[] {3}, 2)), schema).write().partitionBy("day").parquet(input.toString());
        InputSpec spec = new InputSpec(input.toString(), "parquet", "image", "image_id", null, List.of("day"), false, null, 0);
        ChunkPlan plan = ChunkPlan.of(spark, spec, 10, null, "run");
        assertEquals(1, plan.chunks().size());
        List<String> rows = plan.read(spark, plan.chunks().get(0)).selectExpr("concat(image_id, ':', kept.day, ':', hex(image))")
                .as(Encoders.STRING()).collectAsList().stream().sorted().toList();
        assertEquals(List.of("a:1:01", "b:2:02", "c:2:03"), rows);
    }
}
