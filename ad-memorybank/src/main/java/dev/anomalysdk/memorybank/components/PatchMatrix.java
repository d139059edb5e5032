package dev.anomalysdk.memorybank.components;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A growable matrix of patch features (one row per patch) stored outside the Java heap: in direct memory
 * or in a memory-mapped file, as float32 or float16. It is the memory bank of PatchCore and the input of
 * {@link CoresetSampler} and {@link KnnSearch}, which read it in row blocks, so neither the heap nor a
 * single array bounds its size: a mapped matrix larger than the heap (or RAM) is paged in by the OS.
 *
 * <p>Rows are appended, never changed. Storage is split in segments of at most 1 GiB; a row never
 * crosses a segment. Float16 storage halves memory and bandwidth; values are rounded to nearest even
 * (relative error below 2^-11) and decoded to float32 for arithmetic.
 *
 * <p>Not thread-safe for writes; concurrent reads after the last append are safe.
 */
public final class PatchMatrix implements AutoCloseable {
    /** How values are stored. */
    public enum Precision {
        /** IEEE single precision, 4 bytes per value. */
        FLOAT32(4),
        /** IEEE half precision, 2 bytes per value. */
        FLOAT16(2);

        private final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }

        /** @return bytes per stored value */
        public int bytes() {
            return bytes;
        }
    }

    private static final long SEGMENT_BYTES = 1L << 30;

    private final int dim;
    private final Precision precision;
    private final FileChannel channel;
    private final Path file;
    private final boolean deleteOnClose;
    private final int rowsPerSegment;
    private final List<ByteBuffer> segments = new ArrayList<>();
    private long rows;
    private float[] norms;
    private boolean closed;

    private PatchMatrix(int dim, Precision precision, FileChannel channel, Path file, boolean deleteOnClose) {
        if (dim < 1) {
            throw new IllegalArgumentException("Invalid row dimension " + dim);
        }
        this.dim = dim;
        this.precision = precision;
        this.channel = channel;
        this.file = file;
        this.deleteOnClose = deleteOnClose;
        this.rowsPerSegment = (int) Math.max(1, SEGMENT_BYTES / ((long) dim * precision.bytes));
    }

    /** @return an empty matrix in direct (off-heap) memory */
    public static PatchMatrix inMemory(int dim, Precision precision) {
        return new PatchMatrix(dim, precision, null, null, false);
    }

    /**
     * @param file the backing file, created or truncated; kept after {@link #close()}
     * @return an empty matrix memory-mapped from {@code file}
     */
    public static PatchMatrix mapped(Path file, int dim, Precision precision) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        return new PatchMatrix(dim, precision, ch, file, false);
    }

    /**
     * @param directory where the temporary file goes ({@code null} for the system temporary directory)
     * @return an empty matrix memory-mapped from a temporary file deleted on {@link #close()}
     */
    public static PatchMatrix mappedTemporary(Path directory, int dim, Precision precision) throws IOException {
        Path f = directory == null ? Files.createTempFile("anomaly-sdk-patches", ".bin")
                : Files.createTempFile(directory, "anomaly-sdk-patches", ".bin");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new PatchMatrix(dim, precision, ch, f, true);
    }

    /** @return a float32 in-memory matrix holding a copy of {@code rows x dim} row-major values */
    public static PatchMatrix of(float[] values, int dim) {
        if (values.length % dim != 0) {
            throw new IllegalArgumentException(values.length + " values are not a whole number of rows of " + dim);
        }
        PatchMatrix m = inMemory(dim, Precision.FLOAT32);
        m.append(values, 0, values.length / dim);
        return m;
    }

    /** @return number of rows */
    public long rows() {
        return rows;
    }

    /** @return values per row */
    public int dim() {
        return dim;
    }

    /** @return the storage precision */
    public Precision precision() {
        return precision;
    }

    /** @return whether the rows live in a memory-mapped file */
    public boolean isMapped() {
        return channel != null;
    }

    /** @return bytes used by the stored values */
    public long bytes() {
        return rows * dim * precision.bytes;
    }

    /**
     * Appends rows.
     *
     * @param values row-major values
     * @param offset index of the first value to take
     * @param count rows to append
     */
    public void append(float[] values, int offset, int count) {
        requireOpen();
        if (offset < 0 || count < 0 || offset + (long) count * dim > values.length) {
            throw new IllegalArgumentException("Cannot append " + count + " rows of " + dim + " from offset " + offset
                    + " of " + values.length + " values");
        }
        for (int r = 0; r < count; r++) {
            long row = rows;
            ByteBuffer seg = segmentForWrite(row);
            int pos = (int) (row % rowsPerSegment) * dim * precision.bytes;
            int src = offset + r * dim;
            if (precision == Precision.FLOAT32) {
                FloatBuffer fb = seg.asFloatBuffer();
                fb.put(pos / 4, values, src, dim);
            } else {
                ShortBuffer sb = seg.asShortBuffer();
                for (int j = 0; j < dim; j++) {
                    sb.put(pos / 2 + j, toHalf(values[src + j]));
                }
            }
            rows++;
        }
        norms = null;
    }

    /**
     * Reads rows as float32.
     *
     * @param row first row
     * @param count rows to read
     * @param dst destination, row-major
     * @param dstOffset where the first value goes
     */
    public void read(long row, int count, float[] dst, int dstOffset) {
        requireOpen();
        if (row < 0 || count < 0 || row + count > rows) {
            throw new IndexOutOfBoundsException("Rows " + row + ".." + (row + count) + " of a matrix of " + rows);
        }
        short[] tmp = precision == Precision.FLOAT16 ? new short[dim] : null;
        int r = 0;
        while (r < count) {
            long cur = row + r;
            int segIndex = (int) (cur / rowsPerSegment);
            int inSeg = (int) (cur % rowsPerSegment);
            int n = Math.min(count - r, rowsPerSegment - inSeg);
            ByteBuffer seg = segments.get(segIndex);
            if (precision == Precision.FLOAT32) {
                seg.asFloatBuffer().get(inSeg * dim, dst, dstOffset + r * dim, n * dim);
            } else {
                ShortBuffer sb = seg.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    sb.get((inSeg + i) * dim, tmp, 0, dim);
                    int o = dstOffset + (r + i) * dim;
                    for (int j = 0; j < dim; j++) {
                        dst[o + j] = HALF_TO_FLOAT[tmp[j] & 0xffff];
                    }
                }
            }
            r += n;
        }
    }

    /** @return one row as float32 */
    public float[] row(long row) {
        float[] out = new float[dim];
        read(row, 1, out, 0);
        return out;
    }

    /** @return all rows as one row-major float32 array (only for matrices that fit in an array) */
    public float[] toArray() {
        if (rows * dim > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("Matrix of " + rows + " x " + dim + " is too large for one array");
        }
        float[] out = new float[(int) (rows * dim)];
        read(0, (int) rows, out, 0);
        return out;
    }

    /**
     * Squared Euclidean norm of every row (of the stored, possibly rounded, values), computed in double
     * and cached until the next append.
     *
     * @return one value per row
     */
    public synchronized float[] squaredNorms() {
        if (norms == null) {
            if (rows > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("Too many rows for a norm array: " + rows);
            }
            float[] out = new float[(int) rows];
            int block = Math.max(1, (1 << 20) / dim);
            float[] buf = new float[block * dim];
            for (long r = 0; r < rows; r += block) {
                int n = (int) Math.min(block, rows - r);
                read(r, n, buf, 0);
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0, o = i * dim; j < dim; j++) {
                        s += (double) buf[o + j] * buf[o + j];
                    }
                    out[(int) r + i] = (float) s;
                }
            }
            norms = out;
        }
        return norms;
    }

    /**
     * Copies chosen rows, in the given order, into a new in-memory matrix.
     *
     * @param indices row indices
     * @param precision storage of the copy
     * @return the new matrix
     */
    public PatchMatrix select(int[] indices, Precision precision) {
        PatchMatrix out = inMemory(dim, precision);
        float[] buf = new float[dim];
        for (int i : indices) {
            read(i, 1, buf, 0);
            out.append(buf, 0, 1);
        }
        return out;
    }

    private ByteBuffer segmentForWrite(long row) {
        int segIndex = (int) (row / rowsPerSegment);
        while (segments.size() <= segIndex) {
            long size = (long) rowsPerSegment * dim * precision.bytes;
            ByteBuffer b;
            if (channel == null) {
                // Start small and grow (ensureCapacity), so that a bank of a few rows does not reserve 1 GiB.
                b = ByteBuffer.allocateDirect((int) Math.min(size, 64L * dim * precision.bytes));
            } else {
                try {
                    b = channel.map(FileChannel.MapMode.READ_WRITE, (long) segments.size() * size, size);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot map " + size + " bytes of " + file + ": " + e.getMessage(), e);
                }
            }
            segments.add(b.order(ByteOrder.LITTLE_ENDIAN));
        }
        ByteBuffer seg = segments.get(segIndex);
        if (channel == null && segIndex == segments.size() - 1) {
            seg = ensureCapacity(segIndex, (int) (row % rowsPerSegment) + 1);
        }
        return seg;
    }

    /** In-memory segments start small and double, so a bank of a few rows does not reserve 1 GiB. */
    private ByteBuffer ensureCapacity(int segIndex, int rowsNeeded) {
        ByteBuffer seg = segments.get(segIndex);
        int rowBytes = dim * precision.bytes;
        if (seg.capacity() >= rowsNeeded * rowBytes) {
            return seg;
        }
        long cap = Math.max(seg.capacity(), 64L * rowBytes);
        while (cap < (long) rowsNeeded * rowBytes) {
            cap *= 2;
        }
        cap = Math.min(cap, (long) rowsPerSegment * rowBytes);
        ByteBuffer bigger = ByteBuffer.allocateDirect((int) cap).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer src = seg.duplicate();
        src.clear();
        bigger.put(src);
        bigger.clear();
        segments.set(segIndex, bigger);
        return bigger;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("PatchMatrix is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        long written = bytes();
        closed = true;
        segments.clear();
        if (channel != null) {
            try {
                if (!deleteOnClose) {
                    // Mapped segments reserve whole (sparse) 1 GiB regions; keep only the rows written.
                    channel.truncate(written);
                }
                channel.close();
                if (deleteOnClose) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot close patch file " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "PatchMatrix[" + rows + " x " + dim + ", " + precision + (isMapped() ? ", mapped " + file : ", memory")
                + "]";
    }

    // ---- float16 conversion (Java 17 has no Float.floatToFloat16) ----

    private static final float[] HALF_TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
            HALF_TO_FLOAT[h] = decodeHalf(h);
        }
    }

    private static float decodeHalf(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** @return the half-precision value nearest to {@code f} (ties to even), as raw bits */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        }
        if (abs >= 0x477ff000) {
            // Rounds to or beyond 65520: infinity.
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {
            // Subnormal half (or zero): scale into units of 2^-24 with round-half-even.
            float v = Float.intBitsToFloat(abs) * 0x1p24f;
            int m = (int) Math.rint(v);
            return (short) (sign | m);
        }
        int exp = (abs >>> 23) - 112;
        int mant = abs & 0x7fffff;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /** @return the float value of raw half-precision bits */
    static float fromHalf(short h) {
        return HALF_TO_FLOAT[h & 0xffff];
    }
}
