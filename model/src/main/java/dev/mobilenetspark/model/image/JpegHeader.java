package dev.mobilenetspark.model.image;

import com.twelvemonkeys.imageio.metadata.CompoundDirectory;
import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * What the native decoder must know of a JPEG before its pixels are decoded, read from the
 * markers ahead of the first scan: the size (for the pixel budget and the DCT scale), the number
 * of components (CMYK and YCCK go to the reader that converts them as before), whether an ICC
 * profile is embedded, where the EXIF block is and whether the stream ends with its end-of-image
 * marker (libjpeg fills a stream cut short with grey and only warns, and FFmpeg may return what it
 * decoded: such streams go to the reader that refuses them). The last two are worked out on
 * demand, for a JPEG the native path decodes.
 *
 * @param firstScan the offset of the first scan's data
 */
record JpegHeader(byte[] bytes, int width, int height, int components, boolean iccProfile, int exifStart, int exifEnd,
                  int firstScan) {

    private static final byte[] EXIF = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ICC = "ICC_PROFILE\0".getBytes(StandardCharsets.ISO_8859_1);

    /** The header of {@code b}, or empty if its markers do not lead to a frame and a scan. */
    static Optional<JpegHeader> read(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
            return Optional.empty();
        }
        int width = -1;
        int height = -1;
        int components = -1;
        boolean icc = false;
        int exifStart = -1;
        int exifEnd = -1;
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xff) != 0xFF) {
                return Optional.empty();
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++; // a fill byte
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2; // markers without a length
                continue;
            }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            int payload = i + 4;
            int end = i + 2 + length;
            if (length < 2 || end > b.length) {
                return Optional.empty();
            }
            if (marker == 0xDA) {
                return width > 0 && height > 0 && components > 0
                        ? Optional.of(new JpegHeader(b, width, height, components, icc, exifStart, exifEnd, end))
                        : Optional.empty();
            }
            if (isFrame(marker) && end - payload >= 6) {
                height = ((b[payload + 1] & 0xff) << 8) | (b[payload + 2] & 0xff);
                width = ((b[payload + 3] & 0xff) << 8) | (b[payload + 4] & 0xff);
                components = b[payload + 5] & 0xff;
            } else if (marker == 0xE1 && startsWith(b, payload, end, EXIF)) {
                exifStart = payload + EXIF.length;
                exifEnd = end;
            } else if (marker == 0xE2 && startsWith(b, payload, end, ICC)) {
                icc = true;
            }
            i = end;
        }
        return Optional.empty();
    }

    /** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
    private static boolean isFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean startsWith(byte[] b, int from, int end, byte[] prefix) {
        return end - from >= prefix.length && Arrays.equals(b, from, from + prefix.length, prefix, 0, prefix.length);
    }

    /**
     * Entropy-coded data never holds FF D9 (an FF there is followed by 00 or a restart marker),
     * so the first FF D9 from the end after the first scan's header is the end-of-image marker,
     * if there is one; bytes after it (padding some cameras add) are ignored as libjpeg does.
     */
    boolean complete() {
        for (int i = bytes.length - 2; i >= firstScan; i--) {
            if ((bytes[i] & 0xff) == 0xFF && (bytes[i + 1] & 0xff) == 0xD9) {
                return true;
            }
        }
        return false;
    }

    /** EXIF's orientation tag, read by TwelveMonkeys' TIFF reader; missing or unreadable EXIF counts as upright, as in ImageIO's path. */
    Orientation orientation() {
        if (exifStart < 0) {
            return Orientation.NORMAL;
        }
        try {
            Directory ifds = new TIFFReader().read(new ByteArrayImageInputStream(bytes, exifStart, exifEnd - exifStart));
            // IFD1 describes the thumbnail; only IFD0's orientation is the picture's.
            Directory ifd0 = ifds instanceof CompoundDirectory c ? c.getDirectory(0) : ifds;
            Entry entry = ifd0.getEntryById(TIFF.TAG_ORIENTATION);
            if (entry != null && entry.getValue() instanceof Number value) {
                return Orientation.fromExif(value.intValue());
            }
        } catch (IOException | RuntimeException unreadable) {
            return Orientation.NORMAL;
        }
        return Orientation.NORMAL;
    }
}
