package dev.mobilenetspark.model.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.setNumThreads;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * JPEG decoding by libjpeg-turbo, as OpenCV builds it in (through JavaCPP's presets, the same
 * release as ND4J's), with libjpeg's DCT-domain scaling: at 1/2, 1/4 or 1/8 the inverse DCT
 * computes fewer samples, so a photo much larger than the model's input costs a fraction of a
 * whole decode, and each output sample averages its block where subsampling would skip pixels.
 * At full size the samples equal the JDK's libjpeg's (tested); OpenCV 4.5.5 builds libjpeg-turbo
 * without its SIMD code, so whole images are left to ImageIO.
 *
 * <p>EXIF orientation is left to the caller ({@link Orientation}, as on the ImageIO path), and
 * the samples come as stored, with any ICC profile ignored, as PIL and tf.image.decode_jpeg do.
 */
final class NativeJpeg {

    private static final Logger LOG = LoggerFactory.getLogger(NativeJpeg.class);

    /** Whether OpenCV's libraries loaded on this machine; if not, JPEGs take the ImageIO path. */
    static final boolean AVAILABLE = load();

    private NativeJpeg() {
    }

    private static boolean load() {
        try {
            Loader.load(opencv_imgcodecs.class);
            // Sequential: the cores belong to the tasks preparing images and to the forward pass,
            // and OpenCV's own thread pool would compete with both.
            setNumThreads(0);
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError and friends: a platform without the natives
            LOG.warn("OpenCV's JPEG decoder did not load; JPEGs are decoded by ImageIO", e);
            return false;
        }
    }

    /**
     * The image at {@code 1 / scale} of its stored size (rounded up), upright as stored, or empty
     * if libjpeg-turbo refused the stream (the caller's fallback then gives the reason).
     *
     * @param scale 1, 2, 4 or 8
     */
    static Optional<RgbImage> decode(byte[] jpeg, int width, int height, int scale) {
        int flags = IMREAD_IGNORE_ORIENTATION | switch (scale) {
            case 1 -> IMREAD_COLOR;
            case 2 -> IMREAD_REDUCED_COLOR_2;
            case 4 -> IMREAD_REDUCED_COLOR_4;
            case 8 -> IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("DCT scale must be 1, 2, 4 or 8, got " + scale);
        };
        int outWidth = (width + scale - 1) / scale;
        int outHeight = (height + scale - 1) / scale;
        Scratch scratch = SCRATCH.get();
        BytePointer in = scratch.input.of(jpeg.length).put(jpeg, 0, jpeg.length);
        BytePointer out = scratch.output.of(3L * outWidth * outHeight);
        try (Mat encoded = new Mat(1, jpeg.length, CV_8UC1, in);
             Mat into = new Mat(outHeight, outWidth, CV_8UC3, out);
             Mat decoded = imdecode(encoded, flags, into)) {
            if (decoded.empty() || decoded.type() != CV_8UC3 || !decoded.isContinuous()) {
                return Optional.empty();
            }
            // OpenCV decodes to BGR; its vectorised swap costs a third of a Java loop's.
            cvtColor(decoded, decoded, COLOR_BGR2RGB);
            byte[] rgb = new byte[3 * decoded.cols() * decoded.rows()];
            decoded.data().get(rgb);
            return Optional.of(new RgbImage(decoded.cols(), decoded.rows(), rgb));
        } finally {
            scratch.input.trim();
            scratch.output.trim();
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Native memory that one thread decodes into image after image. A fresh block per image costs
     * more than the copy: over glibc's mmap threshold (which the launcher fixes at 128 KiB to keep
     * the heaps from fragmenting), each one is an mmap, page faults and an munmap, measured at a
     * fifth of a 500x375 decode. Blocks over {@link #KEEP} are freed after use, so a task thread
     * holds at most two of that size between images.
     */
    private static final class Scratch {
        static final long KEEP = 8L << 20;

        final Block input = new Block();
        final Block output = new Block();
    }

    private static final class Block {
        private BytePointer memory;

        BytePointer of(long bytes) {
            if (memory == null || memory.capacity() < bytes) {
                trimTo(0);
                memory = new BytePointer(bytes);
            }
            return memory;
        }

        void trim() {
            trimTo(Scratch.KEEP);
        }

        private void trimTo(long keep) {
            if (memory != null && memory.capacity() > keep) {
                memory.close();
                memory = null;
            }
        }
    }
}
