package dev.mobilenetspark.model.image;

/**
 * Makes a model input from a decoded image exactly as the model's training pipeline did: an
 * optional centred square crop, bilinear resize to the square input resolution, then per-channel
 * normalisation, written as float NHWC (the layout the network is built in).
 *
 * <p>Resizing interpolates in double precision on the 0..255 samples and normalises after, which
 * equals normalising first (bilinear weights sum to one); tf.image.resizeBilinear with
 * alignCorners reproduces to float rounding. Nothing is allocated per pixel: this runs once per
 * image of every batch.
 *
 * <p>Immutable and thread-safe.
 */
public final class Preprocessor {

    private final Preprocessing preprocessing;
    private final int resolution;
    private final double[] scale = new double[3];
    private final double[] offset = new double[3];

    public Preprocessor(Preprocessing preprocessing, int resolution) {
        if (resolution < 1) {
            throw new IllegalArgumentException("input resolution must be positive, got " + resolution);
        }
        this.preprocessing = preprocessing;
        this.resolution = resolution;
        for (int c = 0; c < 3; c++) {
            scale[c] = preprocessing.normalization().scale(c);
            offset[c] = preprocessing.normalization().offset(c);
        }
    }

    public int resolution() {
        return resolution;
    }

    /** Floats one image takes in a batch: {@code resolution * resolution * 3}. */
    public int floatsPerImage() {
        return resolution * resolution * 3;
    }

    /**
     * The shorter side an image needs for its crop to span the input resolution: what to pass to
     * {@link ImageDecoder#decode(byte[], int)}.
     */
    public int requiredShortSide() {
        return (int) Math.ceil(resolution / preprocessing.centerCrop());
    }

    /** Writes the model input of {@code image} into {@code dst} from {@code offset}, as H x W x C floats. */
    public void preprocess(RgbImage image, float[] dst, int offset) {
        if (offset < 0 || offset > dst.length - floatsPerImage()) {
            throw new IllegalArgumentException("no room for " + floatsPerImage() + " floats at offset "
                    + offset + " of an array of " + dst.length);
        }
        int w = image.width();
        int h = image.height();
        int cropWidth = w;
        int cropHeight = h;
        if (preprocessing.centerCrop() < 1) {
            cropWidth = Math.max(1, (int) Math.round(preprocessing.centerCrop() * Math.min(w, h)));
            cropHeight = cropWidth;
        }
        Axis columns = new Axis((w - cropWidth) / 2, cropWidth, resolution, preprocessing.resize());
        Axis rows = new Axis((h - cropHeight) / 2, cropHeight, resolution, preprocessing.resize());
        byte[] px = image.rgb();
        int stride = 3 * w;
        int o = offset;
        for (int y = 0; y < resolution; y++) {
            int top = rows.low[y] * stride;
            int bottom = rows.high[y] * stride;
            double fy = rows.fraction[y];
            for (int x = 0; x < resolution; x++) {
                int left = 3 * columns.low[x];
                int right = 3 * columns.high[x];
                double fx = columns.fraction[x];
                for (int c = 0; c < 3; c++) {
                    // The order of operations of tf.image.resizeBilinear, so results agree to the last bit.
                    double topLeft = px[top + left + c] & 0xff;
                    double topRight = px[top + right + c] & 0xff;
                    double bottomLeft = px[bottom + left + c] & 0xff;
                    double bottomRight = px[bottom + right + c] & 0xff;
                    double upper = topLeft + (topRight - topLeft) * fx;
                    double lower = bottomLeft + (bottomRight - bottomLeft) * fx;
                    double value = upper + (lower - upper) * fy;
                    dst[o++] = (float) (value * scale[c] + this.offset[c]);
                }
            }
        }
    }

    /**
     * For each output coordinate along one axis: the two source samples to blend and the weight of
     * the second, relative to the whole image (the crop starts at {@code start}).
     */
    private static final class Axis {
        final int[] low;
        final int[] high;
        final double[] fraction;

        Axis(int start, int length, int outLength, Preprocessing.Resize resize) {
            low = new int[outLength];
            high = new int[outLength];
            fraction = new double[outLength];
            boolean alignCorners = resize == Preprocessing.Resize.BILINEAR_ALIGN_CORNERS;
            // Align corners maps the first and last output samples onto the first and last input
            // samples; half-pixel centres map pixel areas onto each other.
            double ratio = alignCorners
                    ? (outLength > 1 ? (double) (length - 1) / (outLength - 1) : 0)
                    : (double) length / outLength;
            for (int i = 0; i < outLength; i++) {
                double source = alignCorners ? ratio * i : ratio * (i + 0.5) - 0.5;
                source = Math.min(Math.max(source, 0), length - 1);
                int l = (int) Math.floor(source);
                low[i] = start + l;
                high[i] = start + Math.min(l + 1, length - 1);
                fraction[i] = source - l;
            }
        }
    }
}
