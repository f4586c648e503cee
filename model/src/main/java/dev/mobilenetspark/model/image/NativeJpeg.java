package dev.mobilenetspark.model.image;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_flush_buffers;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV411P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV422P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV440P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV444P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ411P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ422P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ440P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ444P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU601;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVBufferRef;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.Cleaner;
import java.util.Optional;

/**
 * JPEG decoding by FFmpeg's JPEG decoder (through JavaCPP's presets, the same release as ND4J's),
 * whose inverse DCT and colour conversion are SIMD code: about half the JDK reader's time for a
 * whole 500x375 photo on the machines measured (README, Image decoding). Its {@code lowres}
 * option computes the image at 1/2, 1/4 or 1/8 of its size in the inverse DCT, so a photo much
 * larger than the model's input costs a fraction of a whole decode, and each output sample
 * averages its block where subsampling would skip pixels.
 *
 * <p>The samples are close to libjpeg's, not equal: a different inverse DCT, chroma upsampled by
 * repetition where libjpeg interpolates, and swscale's rounding (measured: means of 1.1 to 1.3
 * levels on photos with halved chroma, 0.04 with full chroma; tested). So
 * {@link ImageDecoder.Scaling#REFERENCE} decodes whole images with the JDK's libjpeg, as the
 * reference pipelines decode them, and only {@link ImageDecoder.Scaling#FAST} sends whole images
 * here.
 *
 * <p>EXIF orientation is left to the caller ({@link Orientation}, as on the ImageIO path), and
 * the samples come as stored, with any ICC profile ignored, as PIL and tf.image.decode_jpeg do.
 * Errors are fatal ({@code AV_EF_EXPLODE}) rather than concealed, so a stream FFmpeg finds
 * damaged is refused here and the ImageIO path then decodes it or gives its reason. FFmpeg is
 * more lenient than libjpeg, though: of 200 randomly damaged JPEGs it returned an image for 3
 * that libjpeg calls cut short or corrupt (a stray marker byte or a run of zeros in the scan, a
 * damaged header byte), which this class therefore decodes where the ImageIO path has an error
 * (for {@code fast}, any JPEG; for {@code reference}, one large enough to be shrunk); nothing
 * FFmpeg logs sets those apart (its log's warnings and errors were tried). The bad-input corpus
 * gives the same outcomes through both.
 */
final class NativeJpeg {

    private static final Logger LOG = LoggerFactory.getLogger(NativeJpeg.class);

    /** FFmpeg's JPEG decoder, or null where its libraries did not load. */
    private static final AVCodec CODEC = load();

    /** Whether FFmpeg's libraries loaded on this machine; if not, JPEGs take the ImageIO path. */
    static final boolean AVAILABLE = CODEC != null;

    // Macros of libavcodec/avcodec.h and libavutil/frame.h that the presets do not map.
    private static final int AV_EF_EXPLODE = 1 << 3;
    private static final int AV_FRAME_FLAG_CORRUPT = 1;

    private NativeJpeg() {
    }

    private static AVCodec load() {
        try {
            Loader.load(avcodec.class);
            Loader.load(swscale.class);
            // FFmpeg writes its messages to stderr, one per damaged stream; the refusal reaches
            // the caller as the ImageIO path's error instead. The level is the process's: any
            // other FFmpeg user in the JVM is quietened too.
            av_log_set_level(AV_LOG_QUIET);
            AVCodec codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
            if (codec == null) {
                throw new IllegalStateException("this FFmpeg build has no JPEG decoder");
            }
            return codec;
        } catch (Throwable e) { // UnsatisfiedLinkError and friends: a platform without the natives
            LOG.warn("FFmpeg's JPEG decoder did not load; JPEGs are decoded by ImageIO", e);
            return null;
        }
    }

    /**
     * The image at {@code 1 / scale} of its stored size (rounded up), upright as stored, or empty
     * if FFmpeg refused the stream (the caller's fallback then gives the reason).
     *
     * @param scale 1, 2, 4 or 8
     */
    static Optional<RgbImage> decode(byte[] jpeg, int width, int height, int scale) {
        if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
            throw new IllegalArgumentException("DCT scale must be 1, 2, 4 or 8, got " + scale);
        }
        return DECODERS.get().decode(jpeg, (width + scale - 1) / scale, (height + scale - 1) / scale,
                Integer.numberOfTrailingZeros(scale));
    }

    /**
     * Room after the last row of swscale's output: its SIMD stores run past a row's end, into
     * the next row (rewritten next) or, after the last, past the buffer. Without it glibc's malloc
     * checks found heap corruption within 3,000 random shapes; with it none in 9,000.
     */
    private static final long SIMD_SLACK = 64;

    private static final ThreadLocal<Decoder> DECODERS = ThreadLocal.withInitial(Decoder::new);

    /** Frees a thread's FFmpeg state once the thread is gone (Spark's task threads come and go). */
    private static final Cleaner CLEANER = Cleaner.create();

    /** What FFmpeg allocated for one thread: JavaCPP frees none of it. */
    private static final class Natives implements Runnable {
        final AVCodecContext[] contexts = new AVCodecContext[4];
        final AVPacket packet = av_packet_alloc();
        final AVFrame frame = av_frame_alloc();
        SwsContext converter;

        @Override
        public void run() {
            for (AVCodecContext context : contexts) {
                if (context != null) {
                    avcodec_free_context(context);
                }
            }
            av_packet_free(packet);
            av_frame_free(frame);
            if (converter != null) {
                sws_freeContext(converter);
            }
        }
    }

    /**
     * One thread's decoder contexts (one per scale: {@code lowres} is read when a context opens),
     * packet, frame, colour converter and output memory, kept from image to image.
     */
    private static final class Decoder {
        private final Natives natives = new Natives();
        private final Block output = new Block();
        private final PointerPointer<BytePointer> outputPlane = new PointerPointer<>(1);
        private final IntPointer outputStride = new IntPointer(1);
        private int converterWidth;
        private int converterHeight;
        private int converterFormat;

        Decoder() {
            CLEANER.register(this, natives);
        }

        Optional<RgbImage> decode(byte[] jpeg, int width, int height, int lowres) {
            AVCodecContext context = context(lowres);
            AVPacket packet = natives.packet;
            AVFrame frame = natives.frame;
            // A packet with its own buffer (zero-padded, as FFmpeg's bitstream reader reads ahead),
            // which the decoder then references rather than copies.
            if (context == null || av_new_packet(packet, jpeg.length) < 0) {
                return Optional.empty();
            }
            try {
                packet.data().put(jpeg, 0, jpeg.length);
                if (avcodec_send_packet(context, packet) < 0 || avcodec_receive_frame(context, frame) < 0) {
                    avcodec_flush_buffers(context);
                    return Optional.empty();
                }
                if (frame.width() != width || frame.height() != height || frame.decode_error_flags() != 0
                        || (frame.flags() & AV_FRAME_FLAG_CORRUPT) != 0) {
                    return Optional.empty();
                }
                return frame.format() == AV_PIX_FMT_GRAY8 ? Optional.of(grey(width, height)) : rgb(width, height);
            } finally {
                av_frame_unref(frame);
                av_packet_unref(packet);
                output.trim();
                // The context's frame pool keeps the last image's planes: not a large image's.
                if (3L * width * height > Block.KEEP) {
                    avcodec_free_context(context);
                    natives.contexts[lowres] = null;
                }
            }
        }

        /** The context for {@code lowres}, opened on first use; null if FFmpeg cannot open one. */
        private AVCodecContext context(int lowres) {
            if (natives.contexts[lowres] == null) {
                AVCodecContext context = avcodec_alloc_context3(CODEC);
                if (context == null) {
                    return null;
                }
                context.lowres(lowres);
                // The task threads are the parallelism; one more decoding thread each would
                // compete with them and with the forward pass.
                context.thread_count(1);
                context.err_recognition(AV_EF_EXPLODE);
                if (avcodec_open2(context, CODEC, (AVDictionary) null) < 0) {
                    avcodec_free_context(context);
                    return null;
                }
                natives.contexts[lowres] = context;
            }
            return natives.contexts[lowres];
        }

        private RgbImage grey(int width, int height) {
            BytePointer plane = natives.frame.data(0);
            int stride = natives.frame.linesize(0);
            byte[] row = new byte[width];
            byte[] rgb = new byte[3 * width * height];
            for (int y = 0, o = 0; y < height; y++) {
                plane.position((long) y * stride).get(row);
                for (byte sample : row) {
                    rgb[o++] = sample;
                    rgb[o++] = sample;
                    rgb[o++] = sample;
                }
            }
            return new RgbImage(width, height, rgb);
        }

        /**
         * The frame's Y, Cb, Cr planes as interleaved R, G, B with JPEG's full-range BT.601
         * matrix, or empty for a layout this does not convert. swscale's SIMD converter for
         * 4:2:0 and 4:2:2 handles whole groups of 8 pixels and pairs of rows (otherwise it falls
         * back to a general path three times slower): the conversion is asked for a width rounded
         * up to 8 and an even height, which the frame's planes hold (FFmpeg's frame pool allocates
         * them to multiples of 16 pixels and rows; checked, and a frame whose planes are shorter
         * goes to ImageIO), and the extra columns and row are dropped in the copy.
         */
        private Optional<RgbImage> rgb(int width, int height) {
            AVFrame frame = natives.frame;
            int format = switch (frame.format()) {
                case AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV420P -> AV_PIX_FMT_YUV420P;
                case AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUV422P -> AV_PIX_FMT_YUV422P;
                case AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUV444P -> AV_PIX_FMT_YUV444P;
                case AV_PIX_FMT_YUVJ440P, AV_PIX_FMT_YUV440P -> AV_PIX_FMT_YUV440P;
                case AV_PIX_FMT_YUVJ411P, AV_PIX_FMT_YUV411P -> AV_PIX_FMT_YUV411P;
                default -> -1;
            };
            if (format < 0) {
                return Optional.empty();
            }
            int paddedWidth = (width + 7) & ~7;
            int evenHeight = (height + 1) & ~1;
            int chromaRows = format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUV440P ? evenHeight / 2 : evenHeight;
            int chromaWidth = switch (format) {
                case AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P -> paddedWidth / 2;
                case AV_PIX_FMT_YUV411P -> paddedWidth / 4;
                default -> paddedWidth;
            };
            if (!holds(0, paddedWidth, evenHeight) || !holds(1, chromaWidth, chromaRows) || !holds(2, chromaWidth, chromaRows)) {
                return Optional.empty();
            }
            // Made anew only when the shape changes: a context's tables cost more than a small
            // image's conversion. (Not sws_getCachedContext: it may hand back a new context at
            // the freed one's address, which would hide that the range must be set again.)
            if (natives.converter == null || converterWidth != paddedWidth || converterHeight != evenHeight
                    || converterFormat != format) {
                if (natives.converter != null) {
                    sws_freeContext(natives.converter);
                }
                natives.converter = sws_getContext(paddedWidth, evenHeight, format, paddedWidth, evenHeight,
                        AV_PIX_FMT_RGB24, SWS_BILINEAR, null, null, (DoublePointer) null);
                if (natives.converter == null) {
                    return Optional.empty();
                }
                IntPointer bt601 = sws_getCoefficients(SWS_CS_ITU601);
                sws_setColorspaceDetails(natives.converter, bt601, 1, bt601, 1, 0, 1 << 16, 1 << 16);
                converterWidth = paddedWidth;
                converterHeight = evenHeight;
                converterFormat = format;
            }
            int stride = 3 * paddedWidth;
            BytePointer out = output.of((long) stride * evenHeight + SIMD_SLACK);
            outputPlane.put(0, out);
            outputStride.put(0, stride);
            sws_scale(natives.converter, frame.data(), frame.linesize(), 0, evenHeight, outputPlane, outputStride);
            byte[] rgb = new byte[3 * width * height];
            if (paddedWidth == width) {
                out.get(rgb);
            } else {
                for (int y = 0; y < height; y++) {
                    out.position((long) y * stride).get(rgb, 3 * width * y, 3 * width);
                }
                out.position(0);
            }
            return Optional.of(new RgbImage(width, height, rgb));
        }

        /**
         * Whether plane {@code plane} has {@code rows} rows of at least {@code width} bytes in a
         * buffer of its own (as FFmpeg's frame pool gives each plane).
         */
        private boolean holds(int plane, int width, int rows) {
            AVFrame frame = natives.frame;
            AVBufferRef buffer = frame.buf(plane);
            return buffer != null && frame.data(plane).address() == buffer.data().address()
                    && frame.linesize(plane) >= width && buffer.size() >= (long) frame.linesize(plane) * rows;
        }
    }

    /**
     * Native memory that one thread decodes into image after image. A fresh block per image costs
     * more than the copy: over glibc's mmap threshold (which the launcher fixes at 128 KiB to keep
     * the heaps from fragmenting), each one is an mmap, page faults and an munmap, measured at a
     * fifth of a 500x375 decode. A block over {@link #KEEP} is freed after use, so a task thread
     * holds at most that much between images (and FFmpeg's frame pool, per scale, the planes of
     * the last image decoded at it, unless that image's RGB was over {@link #KEEP} too).
     */
    private static final class Block {
        static final long KEEP = 8L << 20;

        private BytePointer memory;

        BytePointer of(long bytes) {
            if (memory == null || memory.capacity() < bytes) {
                trimTo(0);
                memory = new BytePointer(bytes);
            }
            return memory;
        }

        void trim() {
            trimTo(KEEP);
        }

        private void trimTo(long keep) {
            if (memory != null && memory.capacity() > keep) {
                memory.close();
                memory = null;
            }
        }
    }
}
