package dev.mobilenetspark.model.image;

/**
 * Makes a model input from a decoded image exactly as the model's training pipeline did: an
 * optional centred square crop, bilinear resize to the square input resolution, then per-channel
 * normalisation, written as float NHWC (the layout the network is built in); or, for weights
 * trained as torchvision trains them, PIL's antialiased resize of the whole image and then the
 * centred square.
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
        if (preprocessing.resize() == Preprocessing.Resize.ANTIALIAS) {
            antialiased(image, dst, offset);
            return;
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
        double scale0 = scale[0];
        double scale1 = scale[1];
        double scale2 = scale[2];
        double offset0 = this.offset[0];
        double offset1 = this.offset[1];
        double offset2 = this.offset[2];
        int o = offset;
        for (int y = 0; y < resolution; y++) {
            int top = rows.low[y] * stride;
            int bottom = rows.high[y] * stride;
            double fy = rows.fraction[y];
            for (int x = 0; x < resolution; x++) {
                int topLeft = top + 3 * columns.low[x];
                int topRight = top + 3 * columns.high[x];
                int bottomLeft = bottom + 3 * columns.low[x];
                int bottomRight = bottom + 3 * columns.high[x];
                double fx = columns.fraction[x];
                // Channels written out: a loop over them, and its index arithmetic, took half the time.
                dst[o++] = (float) (lerp(px, topLeft, topRight, bottomLeft, bottomRight, fx, fy) * scale0 + offset0);
                dst[o++] = (float) (lerp(px, topLeft + 1, topRight + 1, bottomLeft + 1, bottomRight + 1, fx, fy)
                        * scale1 + offset1);
                dst[o++] = (float) (lerp(px, topLeft + 2, topRight + 2, bottomLeft + 2, bottomRight + 2, fx, fy)
                        * scale2 + offset2);
            }
        }
    }

    /** The order of operations of tf.image.resizeBilinear, so results agree to the last bit. */
    private static double lerp(byte[] px, int topLeft, int topRight, int bottomLeft, int bottomRight, double fx, double fy) {
        double tl = px[topLeft] & 0xff;
        double tr = px[topRight] & 0xff;
        double bl = px[bottomLeft] & 0xff;
        double br = px[bottomRight] & 0xff;
        double upper = tl + (tr - tl) * fx;
        double lower = bl + (br - bl) * fx;
        return upper + (lower - upper) * fy;
    }

    /**
     * PIL's resize (and torchvision's, on PIL images and antialiased tensors): the whole image to
     * a shorter side of resolution / centerCrop, the longer in proportion (truncated, as
     * torchvision does), then the centred square, each output sample a weighted sum over the
     * source samples under its filter. Rows first, into a buffer of the source rows the crop
     * needs; sums in float, as torchvision's tensor path (PIL rounds to bytes between passes).
     */
    private void antialiased(RgbImage image, float[] dst, int offset) {
        int w = image.width();
        int h = image.height();
        int shortSide = Math.min(w, h);
        int resizedShort = (int) Math.round(resolution / preprocessing.centerCrop());
        int resizedW = w == shortSide ? resizedShort : (int) ((double) resizedShort * w / shortSide);
        int resizedH = h == shortSide ? resizedShort : (int) ((double) resizedShort * h / shortSide);
        Taps columns = new Taps(w, resizedW, (int) Math.rint((resizedW - resolution) / 2.0), resolution);
        Taps rows = new Taps(h, resizedH, (int) Math.rint((resizedH - resolution) / 2.0), resolution);
        int firstRow = rows.first[0];
        int lastRow = rows.first[resolution - 1] + rows.count[resolution - 1];
        float[] across = new float[(lastRow - firstRow) * resolution * 3];
        byte[] px = image.rgb();
        for (int y = firstRow; y < lastRow; y++) {
            int row = 3 * w * y;
            int a = (y - firstRow) * resolution * 3;
            for (int x = 0; x < resolution; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                for (int k = 0, t = x * columns.width; k < columns.count[x]; k++, t++) {
                    int p = row + 3 * (columns.first[x] + k);
                    float weight = columns.weights[t];
                    r += (px[p] & 0xff) * weight;
                    g += (px[p + 1] & 0xff) * weight;
                    b += (px[p + 2] & 0xff) * weight;
                }
                across[a++] = r;
                across[a++] = g;
                across[a++] = b;
            }
        }
        int o = offset;
        for (int y = 0; y < resolution; y++) {
            for (int x = 0; x < resolution; x++) {
                for (int c = 0; c < 3; c++) {
                    float value = 0;
                    for (int k = 0, t = y * rows.width; k < rows.count[y]; k++, t++) {
                        value += across[((rows.first[y] + k - firstRow) * resolution + x) * 3 + c] * rows.weights[t];
                    }
                    dst[o++] = (float) (value * scale[c] + this.offset[c]);
                }
            }
        }
    }

    /**
     * For each of {@code outLength} output samples, starting {@code start} samples into an axis
     * of {@code inLength} samples resized to {@code resizedLength}: the source samples under PIL's
     * bilinear filter (a triangle, widened by the reduction when shrinking) and their weights,
     * which sum to one.
     */
    private static final class Taps {
        final int[] first;
        final int[] count;
        final float[] weights;
        final int width;

        Taps(int inLength, int resizedLength, int start, int outLength) {
            double scale = (double) inLength / resizedLength;
            double support = Math.max(scale, 1.0);
            width = (int) Math.ceil(support) * 2 + 1;
            first = new int[outLength];
            count = new int[outLength];
            weights = new float[outLength * width];
            for (int i = 0; i < outLength; i++) {
                double center = (start + i + 0.5) * scale;
                int low = Math.max((int) (center - support + 0.5), 0);
                int high = Math.min((int) (center + support + 0.5), inLength);
                double total = 0;
                for (int j = low; j < high; j++) {
                    total += triangle((j - center + 0.5) / support);
                }
                for (int j = low; j < high; j++) {
                    weights[i * width + j - low] = (float) (triangle((j - center + 0.5) / support) / total);
                }
                first[i] = low;
                count[i] = high - low;
            }
        }

        private static double triangle(double x) {
            return Math.max(0, 1 - Math.abs(x));
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
