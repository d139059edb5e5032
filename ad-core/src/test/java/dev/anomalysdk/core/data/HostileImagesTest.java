package dev.anomalysdk.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.testing.ChildJvm;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile image files, built here (nothing large is committed): decompression bombs, forged headers, huge
 * metadata, zero sizes. Each is read in a JVM with a 64 MiB heap, where decoding any bomb would fail with
 * an OutOfMemoryError; each must instead be refused with a message naming the file and the reason, or (for
 * compressed metadata, which is never inflated) read correctly. The generators are checked at a small size,
 * where their output must decode to what they claim, so that a refusal is due to the hostile part only.
 */
class HostileImagesTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------------
    // Generators

    /**
     * A zlib stream of {@code n} zero bytes, built without compressing {@code n} bytes: a sync-flushed chunk
     * of zeros only refers back to zeros, so once 1 MiB of zeros precede it, it can be repeated as is.
     */
    static byte[] zlibZeros(long n) {
        int chunk = 1 << 20;
        byte[] zeros = new byte[chunk];
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x78);
        out.write(0xDA);
        byte[] repeated = null;
        long chunks = Math.max(0, (n - 1) / chunk); // then 1 to chunk bytes close the stream
        for (long i = 0; i < chunks; i++) {
            if (i < 2) {
                d.setInput(zeros);
                repeated = drain(d, false);
            }
            out.writeBytes(repeated);
        }
        d.setInput(zeros, 0, (int) (n - chunks * chunk));
        out.writeBytes(drain(d, true));
        long adler = ((n % 65521) << 16) | 1; // a = 1 + the sum of the bytes, b = the sum of the a's = n
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) adler).array());
        d.end();
        return out.toByteArray();
    }

    private static byte[] drain(Deflater d, boolean finish) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        if (finish) {
            d.finish();
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
        } else {
            int k;
            do {
                k = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                out.write(buf, 0, k);
            } while (k == buf.length);
        }
        return out.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt(data.length);
        out.write(t);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    /**
     * A PNG whose header says {@code width x height} pixels of {@code channels} samples of {@code bits} (gray,
     * gray+alpha, RGB or RGBA), optionally with one extra chunk before the image data.
     *
     * @param allRows whether the image data holds every row (zeros, a valid file), or only a few bytes
     */
    static Path png(Path file, int width, int height, int channels, int bits, boolean allRows, String extraType,
            byte[] extra) throws IOException {
        int colorType = new int[] {0, 0, 4, 2, 6}[channels];
        long rowBytes = 1 + (long) width * channels * bits / 8;
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
            ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) bits)
                    .put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) 0);
            chunk(out, "IHDR", ihdr.array());
            if (extra != null) {
                chunk(out, extraType, extra);
            }
            chunk(out, "IDAT", zlibZeros(allRows ? rowBytes * height : 16));
            chunk(out, "IEND", new byte[0]);
        }
        return file;
    }

    /** A zTXt chunk whose text inflates to {@code n} bytes. */
    static byte[] compressedText(long n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("Comment".getBytes(StandardCharsets.US_ASCII));
        b.write(0); // end of keyword
        b.write(0); // deflate
        b.writeBytes(zlibZeros(n));
        return b.toByteArray();
    }

    private static byte[] smallJpeg() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR), "jpeg", b);
        return b.toByteArray();
    }

    /** A 16x16 JPEG preceded by {@code segments} EXIF (APP1) segments of the largest size, 64 KiB each. */
    static Path jpegWithExif(Path file, int segments) throws IOException {
        byte[] jpeg = smallJpeg();
        byte[] segment = new byte[4 + 65533];
        ByteBuffer.wrap(segment).put((byte) 0xFF).put((byte) 0xE1).putShort((short) 0xFFFF)
                .put("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(jpeg, 0, 2); // SOI
            for (int i = 0; i < segments; i++) {
                out.write(segment);
            }
            out.write(jpeg, 2, jpeg.length - 2);
        }
        return file;
    }

    /** A 16x16 JPEG whose frame header (SOF0) is rewritten to claim {@code width x height}. */
    static Path jpegClaiming(Path file, int width, int height) throws IOException {
        byte[] jpeg = smallJpeg();
        int sof = 2;
        while ((jpeg[sof] & 0xFF) != 0xFF || (jpeg[sof + 1] & 0xFF) != 0xC0) {
            sof += 2 + (((jpeg[sof + 2] & 0xFF) << 8) | (jpeg[sof + 3] & 0xFF)); // skip a segment
        }
        ByteBuffer.wrap(jpeg, sof + 5, 4).putShort((short) height).putShort((short) width);
        return Files.write(file, jpeg);
    }

    /** An 8-bit gray BMP of zeros whose header says {@code width x height} (4 bytes of pixels per row, 3 rows). */
    static Path bmp(Path file, int width, int height) throws IOException {
        int rowBytes = 4;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 256 * 4 + 3 * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(14 + 40 + 256 * 4);
        b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 8).putInt(0)
                .putInt(3 * rowBytes).putInt(2835).putInt(2835).putInt(256).putInt(0);
        for (int i = 0; i < 256; i++) {
            b.put((byte) i).put((byte) i).put((byte) i).put((byte) 0);
        }
        return Files.write(file, b.array());
    }

    /** An uncompressed 8-bit gray TIFF of zeros whose header says {@code width x height} (one 12-byte strip). */
    static Path tiff(Path file, int width, int height) throws IOException {
        int[][] tags = { // tag, type (3 = SHORT, 4 = LONG), value
            {256, 4, width}, {257, 4, height}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, 0},
            {277, 3, 1}, {278, 4, height}, {279, 4, 12}};
        int ifd = 8;
        int data = ifd + 2 + tags.length * 12 + 4;
        ByteBuffer b = ByteBuffer.allocate(data + 12).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd).putShort((short) tags.length);
        for (int[] t : tags) {
            b.putShort((short) t[0]).putShort((short) t[1]).putInt(1);
            int value = t[0] == 273 ? data : t[2];
            if (t[1] == 3) {
                b.putShort((short) value).putShort((short) 0);
            } else {
                b.putInt(value);
            }
        }
        b.putInt(0);
        return Files.write(file, b.array());
    }

    // ------------------------------------------------------------------------------------------------
    // The generators make valid files

    @Test
    void theGeneratorsMakeValidImagesAtASmallSize() throws IOException {
        byte[] z = zlibZeros(5L * (1 << 20) + 123);
        Inflater inf = new Inflater();
        inf.setInput(z);
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try {
            while (!inf.finished()) {
                int k = inf.inflate(buf);
                for (int i = 0; i < k; i++) {
                    assertEquals(0, buf[i]);
                }
                total += k;
                assertTrue(k > 0 || inf.finished(), "stream ended early");
            }
        } catch (DataFormatException e) {
            throw new AssertionError(e); // includes a wrong Adler-32
        }
        assertEquals(5L * (1 << 20) + 123, total);

        ImageData p = ImageFiles.read(png(tmp.resolve("small.png"), 40, 30, 4, 16, true, "zTXt", compressedText(1000)));
        assertEquals(3, p.channels());
        assertEquals(40, p.width());
        assertEquals(30, p.height());
        assertArrayEquals(new float[3 * 40 * 30], p.pixelsView());
        assertEquals(16, ImageFiles.read(jpegWithExif(tmp.resolve("exif.jpg"), 3)).width());
        ImageData j = ImageFiles.read(jpegClaiming(tmp.resolve("claim.jpg"), 16, 16));
        assertEquals(16, j.width());
        ImageData bm = ImageFiles.read(bmp(tmp.resolve("small.bmp"), 4, 3));
        assertEquals(4, bm.width());
        assertEquals(3, bm.height());
        ImageData t = ImageFiles.read(tiff(tmp.resolve("small.tif"), 4, 3));
        assertEquals(4, t.width());
        assertEquals(3, t.height());
    }

    // ------------------------------------------------------------------------------------------------
    // Hostile files in a small heap

    /**
     * Run in a child JVM: reads each file given, printing {@code <file>\tOK <w>x<h>} or
     * {@code <file>\tERR <message>} and the milliseconds taken, then the peak heap use in MiB.
     */
    public static final class ReadEach {
        public static void main(String[] args) {
            for (String a : args) {
                long start = System.nanoTime();
                String result;
                try {
                    ImageData img = ImageFiles.read(Path.of(a));
                    result = "OK " + img.width() + "x" + img.height();
                } catch (IOException | RuntimeException | OutOfMemoryError e) {
                    result = "ERR " + e;
                }
                System.out.printf("%s\t%s\t%.0f%n", a, result.replace('\n', ' '), (System.nanoTime() - start) / 1e6);
            }
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("PEAK_HEAP_MIB\t" + (peak >> 20));
        }
    }

    @Test
    void bombsForgedHeadersHugeMetadataAndZeroSizesAreRefusedInA64MibHeap() throws Exception {
        Map<Path, String> expected = new LinkedHashMap<>(); // file -> what the outcome must contain
        expected.put(png(tmp.resolve("claims-100k-by-100k.png"), 100_000, 100_000, 1, 8, false, null, null),
                "ERR java.io.IOException: Invalid image %s: image too large: 100000x100000 pixels");
        // 16384 x 16384 RGBA, 16 bits: 2 GiB of pixel data in a 2 MiB file, all of it valid
        expected.put(png(tmp.resolve("inflates-to-2-gib.png"), 16384, 16384, 4, 16, true, null, null),
                "ERR java.io.IOException: Invalid image %s: 16384x16384 pixels need about 5120.0 MiB to decode,"
                        + " more than this JVM's whole heap");
        // a 1 GiB comment compressed into 1 MiB: never inflated, since metadata is ignored
        expected.put(png(tmp.resolve("comment-inflates-to-1-gib.png"), 8, 8, 1, 8, true, "zTXt",
                compressedText(1L << 30)),
                "OK 8x8");
        expected.put(jpegWithExif(tmp.resolve("exif-17-mib.jpg"), 272),
                "ERR java.io.IOException: Invalid image %s: the file is 17.0 MiB but its 16x16 pixels take 768 bytes");
        expected.put(jpegClaiming(tmp.resolve("claims-65000-by-65000.jpg"), 65000, 65000),
                "ERR java.io.IOException: Invalid image %s: image too large: 65000x65000 pixels");
        expected.put(bmp(tmp.resolve("claims-100k-by-100k.bmp"), 100_000, 100_000),
                "ERR java.io.IOException: Invalid image %s: image too large: 100000x100000 pixels");
        expected.put(tiff(tmp.resolve("claims-100k-by-100k.tif"), 100_000, 100_000),
                "ERR java.io.IOException: Invalid image %s: image too large: 100000x100000 pixels");
        expected.put(png(tmp.resolve("zero-width.png"), 0, 8, 1, 8, true, null, null),
                "ERR java.io.IOException: Corrupt, truncated or unsupported image %s: I/O error reading PNG header!"
                        + " (Image width <= 0!)");
        expected.put(jpegClaiming(tmp.resolve("zero-width.jpg"), 0, 16),
                "ERR java.io.IOException: Corrupt, truncated or unsupported image %s: its header says the width or"
                        + " height is 0");
        expected.put(bmp(tmp.resolve("zero-width.bmp"), 0, 3),
                "ERR java.io.IOException: Invalid image %s: its header says 0x3 pixels");
        expected.put(tiff(tmp.resolve("zero-width.tif"), 0, 3),
                "ERR java.io.IOException: Invalid image %s: its header says 0x3 pixels");

        List<String> args = expected.keySet().stream().map(Path::toString).toList();
        List<String> lines = new ArrayList<>();
        try (ChildJvm child = ChildJvm.start(ReadEach.class, List.of("-Xmx64m"), tmp.resolve("stderr"),
                args.toArray(String[]::new))) {
            for (int i = 0; i <= args.size(); i++) {
                lines.add(child.nextLine());
            }
            assertEquals(0, child.waitForExit(), child.stderr());
        }
        int i = 0;
        for (Map.Entry<Path, String> e : expected.entrySet()) {
            String[] cols = lines.get(i++).split("\t");
            assertEquals(e.getKey().toString(), cols[0]);
            String want = e.getValue().replace("%s", e.getKey().toString());
            assertTrue(cols[1].startsWith(want), "\nexpected: " + want + "\nactual:   " + cols[1]);
            if (cols[1].startsWith("ERR")) {
                assertTrue(cols[1].contains(e.getKey().toString()), "names the file: " + cols[1]);
            }
        }
        System.out.println(String.join("\n", lines));
    }
}
