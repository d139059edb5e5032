package dev.anomalysdk.core.data;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.SampleModel;
import java.awt.image.WritableRaster;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads images and masks from files into {@link ImageData} and {@link Mask}, and writes PNG files.
 *
 * <p>Supported: PNG, JPEG, BMP and TIFF (through ImageIO and the TwelveMonkeys plug-ins), 1 to 16 bits
 * per sample. Grayscale (with or without alpha) becomes one channel, RGB (with or without alpha) three;
 * alpha is dropped; palette images become RGB, or one channel when every palette entry is gray. Sample
 * values are scaled by the largest value of their bit depth (255, 65535, ...), never gamma-corrected.
 *
 * <p>Decoding is strict: a truncated or corrupt file (which ImageIO often decodes partially, with only a
 * warning) is an error, and every error message names the file.
 */
public final class ImageFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFiles.class);

    /** Lower-case file name extensions recognised as images by the dataset readers. */
    static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp", "tif", "tiff");

    /** Warning texts (lower case) that mean the decoder ran out of or choked on data. */
    private static final List<String> FATAL_WARNINGS =
            List.of("premature", "truncat", "end of", "eof", "unexpected end", "corrupt");

    /** Largest number of pixels accepted, so a forged header cannot exhaust memory. */
    private static final long MAX_PIXELS = 1L << 28;
    /**
     * A file may exceed its uncompressed pixels by this factor plus {@link #MAX_NON_PIXEL_BYTES}: compressed
     * pixels never take more than about twice their raw size, so anything far beyond is metadata or pages
     * this reader would skip.
     */
    private static final long NON_PIXEL_FACTOR = 8;
    /** Room for legitimate metadata (EXIF, ICC profiles, XMP, previews) in any image. */
    private static final long MAX_NON_PIXEL_BYTES = 16L << 20;

    private static final float[] BYTE_TO_FLOAT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_TO_FLOAT[i] = i / 255f;
        }
    }

    private ImageFiles() {}

    /**
     * Width and height of an image file.
     *
     * @param width columns
     * @param height rows
     */
    public record ImageSize(int width, int height) {}

    /**
     * Reads an image as grayscale (1 channel) or RGB (3 channels), values scaled to [0, 1].
     *
     * @param file a PNG, JPEG, BMP or TIFF file
     * @return the decoded image, {@link ImageData#source()} being the file's path
     * @throws IOException naming the file when it is missing, not an image, truncated, corrupt, empty or
     *     of an unsupported colour format
     */
    public static ImageData read(Path file) throws IOException {
        BufferedImage img = decode(file);
        try {
            return convert(img, file.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException("Unsupported image " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads only an image's header.
     *
     * @param file an image file
     * @return its width and height
     * @throws IOException naming the file when it is missing or not a readable image
     */
    public static ImageSize size(Path file) throws IOException {
        checkFile(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(in, file);
            try {
                reader.setInput(in, true, true);
                return new ImageSize(reader.getWidth(0), reader.getHeight(0));
            } catch (IOException | RuntimeException e) {
                throw new IOException("Cannot read the header of image " + file + ": " + describe(e), e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Reads a ground-truth mask: any non-zero pixel in any channel is a defect.
     *
     * @param file the mask file
     * @param height the image's height
     * @param width the image's width
     * @param image the image the mask belongs to (for messages)
     * @return the mask, {@code height x width}
     * @throws IOException naming both files (and both sizes) when the mask cannot be read or its size differs
     */
    public static Mask readMask(Path file, int height, int width, Path image) throws IOException {
        ImageData m;
        try {
            m = read(file);
        } catch (IOException e) {
            throw new IOException("Cannot read mask " + file + " of image " + image + ": " + e.getMessage(), e);
        }
        if (m.height() != height || m.width() != width) {
            throw new IOException("Mask " + file + " is " + m.width() + "x" + m.height() + " but image " + image
                    + " is " + width + "x" + height);
        }
        boolean[] px = new boolean[height * width];
        float[] v = m.pixelsView();
        int plane = height * width;
        for (int c = 0; c < m.channels(); c++) {
            int off = c * plane;
            for (int i = 0; i < plane; i++) {
                if (v[off + i] > 0f) {
                    px[i] = true;
                }
            }
        }
        return new Mask(height, width, px);
    }

    /**
     * Writes an image as PNG atomically: to a temporary file in the same folder, then moved into place, so
     * readers never see a half-written file. Missing parent folders are created.
     *
     * @param image the image
     * @param file the destination, replaced if it exists
     * @throws IOException naming the file when it cannot be written
     */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        Objects.requireNonNull(image, "image");
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        boolean moved = false;
        try {
            Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
            if (!writers.hasNext()) {
                throw new IOException("No PNG writer available");
            }
            ImageWriter writer = writers.next();
            // Memory-cached stream: ImageIO's default file cache would add a second temporary file per image.
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp));
                    ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(image);
            } finally {
                writer.dispose();
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } catch (IOException e) {
            throw new IOException("Cannot write PNG " + file + ": " + e.getMessage(), e);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Writes an image as an 8-bit PNG (gray or RGB), atomically.
     *
     * @param image the image, values clamped to [0, 1]
     * @param file the destination
     * @throws IOException naming the file when it cannot be written
     */
    public static void writePng(ImageData image, Path file) throws IOException {
        writePng(toBufferedImage(image), file);
    }

    /**
     * Writes a mask as an 8-bit grayscale PNG, 255 for defect pixels and 0 elsewhere, atomically.
     *
     * @param mask the mask
     * @param file the destination
     * @throws IOException naming the file when it cannot be written
     */
    public static void writeMask(Mask mask, Path file) throws IOException {
        BufferedImage img = new BufferedImage(mask.width(), mask.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        boolean[] px = mask.pixels();
        for (int i = 0; i < px.length; i++) {
            data[i] = px[i] ? (byte) 255 : 0;
        }
        writePng(img, file);
    }

    /**
     * Converts to an 8-bit image: {@link BufferedImage#TYPE_BYTE_GRAY} for one channel,
     * {@link BufferedImage#TYPE_3BYTE_BGR} for three. Values are clamped to [0, 1] and rounded.
     *
     * @param image the image
     * @return a new image
     */
    public static BufferedImage toBufferedImage(ImageData image) {
        int w = image.width();
        int h = image.height();
        int plane = w * h;
        float[] v = image.pixelsView();
        if (image.channels() == 1) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < plane; i++) {
                data[i] = to8(v[i]);
            }
            return img;
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < plane; i++) {
            data[3 * i] = to8(v[2 * plane + i]);
            data[3 * i + 1] = to8(v[plane + i]);
            data[3 * i + 2] = to8(v[i]);
        }
        return img;
    }

    private static byte to8(float v) {
        float c = v < 0f ? 0f : (v > 1f ? 1f : v);
        return (byte) Math.round(c * 255f);
    }

    /**
     * Finds the image files under a folder at any depth, following symbolic links to folders and to files
     * (a dataset on another disk, a folder of links). Hidden files and folders (name starting with '.') and
     * dangling links are skipped.
     *
     * @param folder the folder, possibly itself a link
     * @param skippedFolders names of sub-folders not searched, e.g. {@code ground_truth}
     * @return the files as paths under {@code folder} (links not resolved), sorted by relative path
     * @throws IOException naming the link when a link leads back to a folder containing it (a loop), or naming
     *     a folder that cannot be read
     */
    public static List<Path> findImages(Path folder, Set<String> skippedFolders) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(folder, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                        boolean skip = !dir.equals(folder) && (name.startsWith(".") || skippedFolders.contains(name));
                        return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        String name = file.getFileName().toString();
                        if (attrs.isSymbolicLink()) {
                            LOG.warn("Skipping {}: a symbolic link to nothing", file);
                        } else if (attrs.isRegularFile() && !name.startsWith(".") && isImageName(name)) {
                            found.add(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        if (e instanceof FileSystemLoopException) {
                            throw new IOException("Symbolic link loop: " + file + " leads back to a folder that"
                                    + " contains it; remove the link or search below it", e);
                        }
                        throw new IOException("Cannot read " + file + ": " + describe(e), e);
                    }
                });
        found.sort(Comparator.comparing(p -> folder.relativize(p).toString().replace('\\', '/')));
        return found;
    }

    /** Whether a file name has one of the recognised image extensions (case-insensitive). */
    static boolean isImageName(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    // ------------------------------------------------------------------------------------------------
    // Decoding

    private static void checkFile(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            throw new IOException("Image file not found: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("Not a regular file (expected an image): " + file);
        }
        if (Files.size(file) == 0) {
            throw new IOException("Empty image file (0 bytes): " + file);
        }
    }

    private static ImageReader readerFor(ImageInputStream in, Path file) throws IOException {
        if (in == null) {
            throw new IOException("Cannot open image file: " + file);
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new IOException("Not an image, or an unsupported format (PNG, JPEG, BMP and TIFF are): " + file);
        }
        return readers.next();
    }

    private static BufferedImage decode(Path file) throws IOException {
        checkFile(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(in, file);
            List<String> warnings = new ArrayList<>();
            BufferedImage img;
            int w;
            int h;
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                w = reader.getWidth(0);
                h = reader.getHeight(0);
                checkBeforeDecoding(reader, w, h, Files.size(file));
                img = reader.read(0);
            } catch (IOException | RuntimeException e) {
                String kind = e instanceof IllegalStateException ? "Invalid image " : "Corrupt, truncated or unsupported image ";
                throw new IOException(kind + file + ": " + describe(e), e);
            } finally {
                reader.dispose();
            }
            for (String warning : warnings) {
                String lower = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
                boolean fatal = FATAL_WARNINGS.stream().anyMatch(lower::contains) && !lower.contains("extraneous");
                if (fatal) {
                    throw new IOException("Truncated or corrupt image " + file + ": " + warning);
                }
                LOG.debug("Image {}: decoder warning: {}", file, warning);
            }
            if (img == null || img.getWidth() <= 0 || img.getHeight() <= 0) {
                throw new IOException("Image decoded to nothing: " + file);
            }
            return img;
        }
    }

    /**
     * Refuses, from the header alone, images that would exhaust memory when decoded or whose file is mostly
     * not pixels: a forged or bomb header must fail with a message, not an OutOfMemoryError.
     */
    private static void checkBeforeDecoding(ImageReader reader, int w, int h, long fileBytes) throws IOException {
        if (w <= 0 || h <= 0) {
            throw new IllegalStateException("its header says " + w + "x" + h + " pixels; width and height must be"
                    + " positive");
        }
        long pixels = (long) w * h;
        if (pixels > MAX_PIXELS) {
            throw new IllegalStateException("image too large: " + w + "x" + h + " pixels (at most " + MAX_PIXELS
                    + " are read)");
        }
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        ImageTypeSpecifier type = types.hasNext() ? types.next() : null;
        long rasterBytesPerPixel = 8; // when the reader does not say: 4 bands of 16 bits
        int outChannels = 3;
        if (type != null) {
            SampleModel sm = type.getSampleModel();
            rasterBytesPerPixel = (long) sm.getNumBands() * DataBuffer.getDataTypeSize(sm.getDataType()) / 8;
            ColorModel cm = type.getColorModel();
            outChannels = cm.getNumColorComponents() == 1 && !(cm instanceof IndexColorModel) ? 1 : 3;
        }
        long rasterBytes = pixels * rasterBytesPerPixel;
        long needed = rasterBytes + pixels * 4L * outChannels;
        long heap = Runtime.getRuntime().maxMemory();
        if (needed > heap) {
            throw new IllegalStateException(w + "x" + h + " pixels need about " + byteSize(needed) + " to decode,"
                    + " more than this JVM's whole heap (" + byteSize(heap) + ", see -Xmx)");
        }
        if (fileBytes > MAX_NON_PIXEL_BYTES + NON_PIXEL_FACTOR * rasterBytes) {
            throw new IllegalStateException("the file is " + byteSize(fileBytes) + " but its " + w + "x" + h
                    + " pixels take " + byteSize(rasterBytes) + " uncompressed: it is mostly something else (a huge"
                    + " metadata block, or further pages)");
        }
    }

    private static String byteSize(long bytes) {
        return bytes < 1L << 20 ? bytes + " bytes"
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        if (msg != null && msg.contains("Unsupported Image Type")) {
            return "unsupported colour format (e.g. CMYK or YCCK JPEG); convert it to RGB";
        }
        if (msg != null && msg.contains("Empty JPEG image")) {
            return "its header says the width or height is 0 (" + msg + ")";
        }
        Throwable cause = e.getCause();
        String detail = msg == null ? e.getClass().getSimpleName() : msg;
        if (cause != null && cause.getMessage() != null && !detail.contains(cause.getMessage())) {
            detail += " (" + cause.getMessage() + ")";
        }
        return detail;
    }

    // ------------------------------------------------------------------------------------------------
    // Conversion to channel-major floats

    /**
     * Converts an image already in memory (a camera frame, say) with the same rules as {@link #read(Path)}.
     *
     * @param image the image; premultiplied alpha is un-premultiplied in place
     * @param source a description used in messages, e.g. a camera name
     * @return gray (1 channel) or RGB (3 channels) pixels in [0, 1]
     * @throws IllegalArgumentException when the colour format cannot be converted to gray or RGB
     */
    public static ImageData fromBufferedImage(BufferedImage image, String source) {
        Objects.requireNonNull(image, "image");
        String src = source == null ? "<memory>" : source;
        try {
            return convert(image, src);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unsupported image " + src + ": " + e.getMessage(), e);
        }
    }

    private static ImageData convert(BufferedImage img, String source) {
        ColorModel cm = img.getColorModel();
        if (cm instanceof IndexColorModel icm) {
            return fromPalette(img, icm, source);
        }
        if (cm.isAlphaPremultiplied()) {
            img.coerceData(false);
            cm = img.getColorModel();
        }
        int ncc = cm.getNumColorComponents();
        int csType = cm.getColorSpace().getType();
        int channels;
        if (ncc == 1 && csType == ColorSpace.TYPE_GRAY) {
            channels = 1;
        } else if (ncc == 3 && csType == ColorSpace.TYPE_RGB) {
            channels = 3;
        } else if (ncc >= 3) {
            return convert(convertToRgb(img), source);
        } else {
            throw new IllegalArgumentException(ncc + " colour component(s)" + (cm.hasAlpha() ? " plus alpha" : "")
                    + " in colour space type " + csType + "; expected gray or RGB (with or without alpha)");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        float[] px = new float[channels * plane];
        WritableRaster raster = img.getRaster();
        for (int b = 0; b < channels; b++) {
            int bits = cm.getComponentSize(b);
            if (!copyBandFast(raster, b, bits, px, b * plane, w, h)) {
                copyBandGeneric(raster, b, bits, px, b * plane, w, h);
            }
        }
        return new ImageData(channels, h, w, px, source);
    }

    private static BufferedImage convertToRgb(BufferedImage img) {
        try {
            BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            new ColorConvertOp(null).filter(img, rgb);
            return rgb;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(img.getColorModel().getNumColorComponents()
                    + " colour components in colour space type " + img.getColorModel().getColorSpace().getType()
                    + " cannot be converted to RGB (" + e.getMessage() + ")", e);
        }
    }

    private static ImageData fromPalette(BufferedImage img, IndexColorModel icm, String source) {
        int n = icm.getMapSize();
        int[] rgbs = new int[n];
        icm.getRGBs(rgbs);
        boolean gray = true;
        for (int c : rgbs) {
            int r = (c >> 16) & 0xFF;
            if (r != ((c >> 8) & 0xFF) || r != (c & 0xFF)) {
                gray = false;
                break;
            }
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        WritableRaster raster = img.getRaster();
        int[] idx = raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, 0, (int[]) null);
        int channels = gray ? 1 : 3;
        float[] px = new float[channels * plane];
        for (int i = 0; i < plane; i++) {
            int k = idx[i];
            int c = k >= 0 && k < n ? rgbs[k] : 0;
            if (gray) {
                px[i] = BYTE_TO_FLOAT[c & 0xFF];
            } else {
                px[i] = BYTE_TO_FLOAT[(c >> 16) & 0xFF];
                px[plane + i] = BYTE_TO_FLOAT[(c >> 8) & 0xFF];
                px[2 * plane + i] = BYTE_TO_FLOAT[c & 0xFF];
            }
        }
        return new ImageData(channels, h, w, px, source);
    }

    /** Reads one band straight from a byte or ushort buffer; false when the layout is not the simple one. */
    private static boolean copyBandFast(WritableRaster raster, int band, int bits, float[] out, int off, int w, int h) {
        SampleModel sm = raster.getSampleModel();
        DataBuffer db = raster.getDataBuffer();
        if (!(sm instanceof ComponentSampleModel csm) || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0 || raster.getParent() != null) {
            return false;
        }
        int ps = csm.getPixelStride();
        int ss = csm.getScanlineStride();
        int bank = csm.getBankIndices()[band];
        int base = db.getOffsets()[bank] + csm.getBandOffsets()[band];
        if (db instanceof DataBufferByte bb && bits == 8) {
            byte[] data = bb.getData(bank);
            for (int y = 0; y < h; y++) {
                int row = base + y * ss;
                int o = off + y * w;
                for (int x = 0; x < w; x++) {
                    out[o + x] = BYTE_TO_FLOAT[data[row + x * ps] & 0xFF];
                }
            }
            return true;
        }
        if (db instanceof DataBufferUShort ub && bits == 16) {
            short[] data = ub.getData(bank);
            for (int y = 0; y < h; y++) {
                int row = base + y * ss;
                int o = off + y * w;
                for (int x = 0; x < w; x++) {
                    out[o + x] = (data[row + x * ps] & 0xFFFF) / 65535f;
                }
            }
            return true;
        }
        return false;
    }

    private static void copyBandGeneric(WritableRaster raster, int band, int bits, float[] out, int off, int w, int h) {
        int x0 = raster.getMinX();
        int y0 = raster.getMinY();
        int type = raster.getDataBuffer().getDataType();
        if (type == DataBuffer.TYPE_FLOAT || type == DataBuffer.TYPE_DOUBLE) {
            float[] v = raster.getSamples(x0, y0, w, h, band, (float[]) null);
            for (int i = 0; i < v.length; i++) {
                float f = v[i];
                out[off + i] = f > 0f ? (f < 1f ? f : 1f) : 0f; // also maps NaN to 0
            }
            return;
        }
        int[] v = raster.getSamples(x0, y0, w, h, band, (int[]) null);
        float max = (float) ((1L << Math.min(bits, 31)) - 1);
        boolean signed = type == DataBuffer.TYPE_SHORT;
        for (int i = 0; i < v.length; i++) {
            float f = (signed ? (v[i] & 0xFFFF) : v[i]) / max;
            out[off + i] = f > 0f ? (f < 1f ? f : 1f) : 0f;
        }
    }
}
