package dev.anomalysdk.core.persist;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format 1.0) of little-endian float32 arrays in C order: what the SDK writes
 * for model tensors and anomaly maps, so that Python and other tools read them directly. Reading is
 * strict (only {@code <f4}, C order, declared size must match the data) so a hostile file cannot make
 * it allocate more than the file holds.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern HEADER = Pattern.compile(
            "\\{\\s*'descr'\\s*:\\s*'([^']*)'\\s*,\\s*'fortran_order'\\s*:\\s*(True|False)\\s*,"
                    + "\\s*'shape'\\s*:\\s*\\(([0-9,\\s]*)\\)\\s*,?\\s*\\}\\s*");

    private Npy() {}

    /** A float32 array with its shape. */
    public record Array(long[] shape, float[] data) {
        /** Checks that the shape matches the data. */
        public Array {
            long n = 1;
            for (long s : shape) {
                if (s < 0) {
                    throw new IllegalArgumentException("Negative dimension in shape " + Arrays.toString(shape));
                }
                n *= s;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("Shape " + Arrays.toString(shape) + " needs " + n
                        + " values, got " + data.length);
            }
        }
    }

    /** Writes {@code data} with {@code shape} as an {@code .npy} stream. */
    public static void write(OutputStream out, float[] data, long... shape) throws IOException {
        Array a = new Array(shape, data);
        StringBuilder dims = new StringBuilder();
        for (long s : a.shape()) {
            dims.append(s).append(", ");
        }
        String shapeText = shape.length == 1 ? shape[0] + "," : dims.length() == 0 ? "" : dims.substring(0, dims.length() - 2);
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int total = MAGIC.length + 2 + 2 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        StringBuilder h = new StringBuilder(header);
        h.append(" ".repeat(pad)).append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(MAGIC);
        out.write(new byte[] {1, 0, (byte) (hb.length & 0xFF), (byte) (hb.length >> 8)});
        out.write(hb);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            if (!buf.hasRemaining()) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            buf.putFloat(v);
        }
        out.write(buf.array(), 0, buf.position());
    }

    /**
     * Reads an {@code .npy} stream of little-endian float32 in C order.
     *
     * @param in the stream
     * @param name used in error messages
     * @param maxValues largest number of values accepted
     */
    public static Array read(InputStream in, String name, long maxValues) throws IOException {
        byte[] magic = in.readNBytes(MAGIC.length + 4);
        if (magic.length < MAGIC.length + 4 || !Arrays.equals(Arrays.copyOf(magic, MAGIC.length), MAGIC)) {
            throw new IOException(name + ": not a NumPy .npy file");
        }
        int major = magic[6];
        int headerLen;
        if (major == 1) {
            headerLen = (magic[8] & 0xFF) | ((magic[9] & 0xFF) << 8);
        } else if (major == 2 || major == 3) {
            byte[] more = in.readNBytes(2);
            if (more.length < 2) {
                throw new IOException(name + ": truncated .npy header");
            }
            headerLen = (magic[8] & 0xFF) | ((magic[9] & 0xFF) << 8) | ((more[0] & 0xFF) << 16) | ((more[1] & 0xFF) << 24);
        } else {
            throw new IOException(name + ": unsupported .npy version " + major);
        }
        if (headerLen < 0 || headerLen > 1 << 16) {
            throw new IOException(name + ": invalid .npy header length " + headerLen);
        }
        byte[] hb = in.readNBytes(headerLen);
        if (hb.length < headerLen) {
            throw new IOException(name + ": truncated .npy header");
        }
        String header = new String(hb, StandardCharsets.US_ASCII).trim();
        Matcher m = HEADER.matcher(header);
        if (!m.matches()) {
            throw new IOException(name + ": unreadable .npy header " + header);
        }
        if (!m.group(1).equals("<f4")) {
            throw new IOException(name + ": dtype " + m.group(1) + " is not little-endian float32 (<f4)");
        }
        if (m.group(2).equals("True")) {
            throw new IOException(name + ": Fortran-order arrays are not supported");
        }
        String[] parts = m.group(3).split(",");
        long[] shape = Arrays.stream(parts).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        if (n > maxValues || n > Integer.MAX_VALUE - 8) {
            throw new IOException(name + ": array of " + n + " values exceeds the limit of " + maxValues);
        }
        byte[] raw = in.readNBytes((int) n * 4);
        if (raw.length < n * 4) {
            throw new IOException(name + ": truncated data (" + raw.length + " of " + n * 4 + " bytes)");
        }
        float[] data = new float[(int) n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    /** @return the bytes of an {@code .npy} file holding {@code data} */
    public static byte[] toBytes(float[] data, long... shape) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 4 + 128);
        try {
            write(out, data, shape);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
