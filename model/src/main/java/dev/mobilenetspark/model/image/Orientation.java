package dev.mobilenetspark.model.image;

/**
 * The eight EXIF orientations, as the flips and transposition that turn stored pixels into the
 * upright picture. Phones store photos sideways and tag them; a classifier shown the sideways
 * pixels sees a different picture from the one people see.
 */
enum Orientation {
    // Declared in EXIF order 1..8; the names are TwelveMonkeys' for each EXIF value in the
    // standard ImageIO metadata (Dimension/ImageOrientation).
    NORMAL("Normal", false, false, false),
    MIRROR("FlipH", false, true, false),
    ROTATE_180("Rotate180", false, true, true),
    FLIP("FlipV", false, false, true),
    TRANSPOSE("FlipVRotate90", true, false, false),
    ROTATE_CLOCKWISE("Rotate270", true, false, true),
    TRANSVERSE("FlipHRotate90", true, true, true),
    ROTATE_ANTICLOCKWISE("Rotate90", true, true, false);

    private final String metadataName;
    private final boolean transpose;
    private final boolean flipX;
    private final boolean flipY;

    Orientation(String metadataName, boolean transpose, boolean flipX, boolean flipY) {
        this.metadataName = metadataName;
        this.transpose = transpose;
        this.flipX = flipX;
        this.flipY = flipY;
    }

    /** Unknown or missing names are {@link #NORMAL}: pixels are then used as stored. */
    static Orientation fromMetadataName(String name) {
        for (Orientation o : values()) {
            if (o.metadataName.equalsIgnoreCase(name)) {
                return o;
            }
        }
        return NORMAL;
    }

    /** EXIF's value 1..8; others are {@link #NORMAL}, as in {@link #fromMetadataName}. */
    static Orientation fromExif(int value) {
        return value >= 1 && value <= 8 ? values()[value - 1] : NORMAL;
    }

    /**
     * Upright pixel (x, y) is stored pixel (u, v) with (u, v) = transpose ? (y, x) : (x, y),
     * then u mirrored if flipX and v mirrored if flipY.
     */
    RgbImage apply(RgbImage stored) {
        if (this == NORMAL) {
            return stored;
        }
        int w = stored.width();
        int h = stored.height();
        int outWidth = transpose ? h : w;
        int outHeight = transpose ? w : h;
        byte[] in = stored.rgb();
        byte[] out = new byte[in.length];
        int o = 0;
        for (int y = 0; y < outHeight; y++) {
            for (int x = 0; x < outWidth; x++) {
                int u = transpose ? y : x;
                int v = transpose ? x : y;
                if (flipX) {
                    u = w - 1 - u;
                }
                if (flipY) {
                    v = h - 1 - v;
                }
                int i = 3 * (v * w + u);
                out[o++] = in[i];
                out[o++] = in[i + 1];
                out[o++] = in[i + 2];
            }
        }
        return new RgbImage(outWidth, outHeight, out);
    }
}
