package dev.mobilenetspark.job.ml;

import dev.mobilenetspark.job.JobSettings;
import dev.mobilenetspark.job.ShippedModel;
import dev.mobilenetspark.model.MobileNetModel;
import dev.mobilenetspark.model.ModelHandler;
import dev.mobilenetspark.model.file.ModelFile;
import dev.mobilenetspark.model.file.ModelLoader;
import dev.mobilenetspark.model.image.ImageDecoder;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * MobileNet as a Spark ML stage: adds each image's classes (best first), their probabilities,
 * its embedding and an error to the rows it transforms, with the same partition code as
 * {@code infer}. The image column holds the bytes (binary) or a path or URI on any Hadoop file
 * system (string), as Spark's {@code binaryFile} source gives {@code content} and {@code path}.
 * A row whose image cannot be read, decoded or inferred keeps its place with the error set.
 *
 * <p>Saved with a pipeline, the stage keeps a copy of its model (this project's model file) in
 * its own directory, so the saved pipeline loads wherever that directory is readable.
 */
public final class MobileNetTransformer extends Transformer implements MLWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> labelCol;
    private final Param<String> scoreCol;
    private final Param<String> embeddingCol;
    private final Param<String> errorCol;
    private final IntParam topK;
    private final IntParam batchSize;
    private final IntParam threads;
    private final Param<String> decodeScaling;
    private final Param<String> precision;

    /** The model loaded on the driver, and the path it came from, for repeated transforms. */
    private transient MobileNetModel loaded;
    private transient String loadedFrom;

    public MobileNetTransformer() {
        this(Identifiable.randomUID("mobilenet"));
    }

    public MobileNetTransformer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "a model this project reads: its file or directory on the local file"
                + " system, or one of its own model files on any Hadoop file system");
        inputCol = new Param<>(this, "inputCol", "the image column: bytes (binary) or a path or URI (string)");
        labelCol = new Param<>(this, "labelCol", "output column of the top classes' names, best first");
        scoreCol = new Param<>(this, "scoreCol", "output column of the top classes' probabilities");
        embeddingCol = new Param<>(this, "embeddingCol", "output column of the embedding; empty for none");
        errorCol = new Param<>(this, "errorCol", "output column (stage, message), null where the image went through");
        topK = new IntParam(this, "topK", "classes kept per image", ParamValidators.gtEq(1));
        batchSize = new IntParam(this, "batchSize", "images per forward pass", ParamValidators.gtEq(1));
        threads = new IntParam(this, "threads", "native threads per executor JVM; 0 for its cores", ParamValidators.gtEq(0));
        setDefault(inputCol, "image");
        setDefault(labelCol, "label");
        setDefault(scoreCol, "score");
        setDefault(embeddingCol, "embedding");
        setDefault(errorCol, "error");
        setDefault(topK, (Object) 5);
        setDefault(batchSize, (Object) 32);
        decodeScaling = new Param<>(this, "decodeScaling", "how JPEGs are decoded: reference (as the reference"
                + " pipelines) or fast (by FFmpeg where it takes them, shrunk to the input's side)",
                ParamValidators.inArray(Arrays.stream(ImageDecoder.Scaling.values()).map(ImageDecoder.Scaling::format)
                        .toArray(String[]::new)));
        precision = new Param<>(this, "precision", "arithmetic of the convolutions: fp32, or bf16 on CPUs with"
                + " AVX512-BF16 or AMX", ParamValidators.inArray(ModelHandler.Backend.PRECISIONS.toArray(String[]::new)));
        setDefault(threads, (Object) 0);
        setDefault(decodeScaling, "reference");
        setDefault(precision, "fp32");
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public Param<String> scoreCol() {
        return scoreCol;
    }

    public Param<String> embeddingCol() {
        return embeddingCol;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public IntParam topK() {
        return topK;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam threads() {
        return threads;
    }

    public Param<String> decodeScaling() {
        return decodeScaling;
    }

    public Param<String> precision() {
        return precision;
    }

    public MobileNetTransformer setDecodeScaling(String value) {
        return with(decodeScaling, value);
    }

    public MobileNetTransformer setPrecision(String value) {
        return with(precision, value);
    }

    public MobileNetTransformer setModelPath(String value) {
        return with(modelPath, value);
    }

    public MobileNetTransformer setInputCol(String value) {
        return with(inputCol, value);
    }

    public MobileNetTransformer setLabelCol(String value) {
        return with(labelCol, value);
    }

    public MobileNetTransformer setScoreCol(String value) {
        return with(scoreCol, value);
    }

    public MobileNetTransformer setEmbeddingCol(String value) {
        return with(embeddingCol, value);
    }

    public MobileNetTransformer setErrorCol(String value) {
        return with(errorCol, value);
    }

    public MobileNetTransformer setTopK(int value) {
        return with(topK, value);
    }

    public MobileNetTransformer setBatchSize(int value) {
        return with(batchSize, value);
    }

    public MobileNetTransformer setThreads(int value) {
        return with(threads, value);
    }

    @SuppressWarnings("unchecked")
    private <T> MobileNetTransformer with(Param<?> param, T value) {
        set((Param<Object>) param, value);
        return this;
    }

    private String string(Param<String> param) {
        return (String) getOrDefault(param);
    }

    private int integer(IntParam param) {
        return (Integer) getOrDefault(param);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(modelPath)) {
            throw new IllegalArgumentException("the modelPath param is not set");
        }
        String input = string(inputCol);
        if (!Arrays.asList(schema.fieldNames()).contains(input)) {
            throw new IllegalArgumentException("input has no column '" + input + "'; its columns are "
                    + String.join(", ", schema.fieldNames()));
        }
        DataType type = schema.apply(input).dataType();
        if (!(type instanceof BinaryType || type instanceof StringType)) {
            throw new IllegalArgumentException("image column '" + input + "' is " + type.simpleString()
                    + ", not binary (image bytes) or string (paths)");
        }
        StructType out = schema;
        for (String column : outputs()) {
            if (Arrays.asList(out.fieldNames()).contains(column)) {
                throw new IllegalArgumentException("output column '" + column + "' exists already in the input");
            }
        }
        out = out.add(string(labelCol), DataTypes.createArrayType(DataTypes.StringType, false), true)
                .add(string(scoreCol), DataTypes.createArrayType(DataTypes.FloatType, false), true);
        if (!string(embeddingCol).isEmpty()) {
            out = out.add(string(embeddingCol), DataTypes.createArrayType(DataTypes.FloatType, false), true);
        }
        return out.add(string(errorCol), new StructType().add("stage", DataTypes.StringType, true)
                .add("message", DataTypes.StringType, true), true);
    }

    private List<String> outputs() {
        return (string(embeddingCol).isEmpty() ? List.of(labelCol, scoreCol, errorCol)
                : List.of(labelCol, scoreCol, embeddingCol, errorCol)).stream().map(this::string).toList();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        SparkSession spark = dataset.sparkSession();
        boolean embeddings = !string(embeddingCol).isEmpty();
        try {
            MobileNetModel net = model(spark);
            ShippedModel shipped = ShippedModel.ship(spark, net, JobSettings.of(net, embeddings, integer(topK),
                    integer(batchSize), integer(threads), JobSettings.DEFAULT_MAX_FILE_BYTES, ImageDecoder.Scaling.parse(string(decodeScaling)),
                    ModelHandler.Backend.ofPrecision(string(precision))));
            return shipped.predict(dataset.toDF(), string(inputCol), new ShippedModel.Outputs(string(labelCol),
                    string(scoreCol), embeddings ? string(embeddingCol) : null, string(errorCol)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the model " + string(modelPath), e);
        }
    }

    /** The model at modelPath, loaded on the driver once per path. */
    private synchronized MobileNetModel model(SparkSession spark) throws IOException {
        String path = string(modelPath);
        if (!path.equals(loadedFrom)) {
            loaded = load(spark, path);
            loadedFrom = path;
        }
        return loaded;
    }

    private static MobileNetModel load(SparkSession spark, String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs instanceof LocalFileSystem local) {
            return ModelLoader.load(local.pathToFile(p).toPath());
        }
        try (InputStream in = fs.open(p)) {
            return ModelFile.read(in, path);
        }
    }

    @Override
    public MobileNetTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<MobileNetTransformer> read() {
        return new Reader();
    }

    public static MobileNetTransformer load(String path) {
        return read().load(path);
    }

    /** Where a saved stage keeps its model file. */
    private static Path modelFile(String stagePath) {
        return new Path(stagePath, "model");
    }

    private static final class Writer extends MLWriter {
        private final MobileNetTransformer stage;

        Writer(MobileNetTransformer stage) {
            this.stage = stage;
        }

        @Override
        public void saveImpl(String path) {
            // The SparkContext forms: Spark 3.5 has no other, Spark 4 keeps them.
            DefaultParamsWriter.saveMetadata(stage, path, sparkSession().sparkContext(), scala.Option.empty(),
                    scala.Option.empty());
            Path file = modelFile(path);
            try {
                MobileNetModel net = stage.model(sparkSession());
                try (FSDataOutputStream out = file.getFileSystem(sparkSession().sparkContext().hadoopConfiguration())
                        .create(file, true)) {
                    ModelFile.write(net, out);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the model to " + file, e);
            }
        }
    }

    private static final class Reader extends MLReader<MobileNetTransformer> {
        @Override
        public MobileNetTransformer load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sparkSession().sparkContext(),
                    MobileNetTransformer.class.getName());
            MobileNetTransformer stage = new MobileNetTransformer(metadata.uid());
            metadata.getAndSetParams(stage, scala.Option.empty());
            return stage.setModelPath(modelFile(path).toString());
        }
    }
}
