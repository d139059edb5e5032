package dev.anomalysdk.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    @TempDir
    Path dir;

    private Path write(BufferedImage img, String format, String name) throws IOException {
        Path f = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, f.toFile()), "no writer for " + format);
        return f;
    }

    private static BufferedImage rgb(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 40) << 16 | (y * 50) << 8 | 200);
            }
        }
        return img;
    }

    private static BufferedImage noise(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return img;
    }

    @Test
    void gray8() throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 255);
        img.getRaster().setSample(1, 0, 0, 51);
        ImageData d = ImageFiles.read(write(img, "png", "g8.png"));
        assertEquals(1, d.channels());
        assertEquals(2, d.height());
        assertEquals(3, d.width());
        assertEquals(1f, d.get(0, 0, 0), 1e-6);
        assertEquals(0.2f, d.get(0, 0, 1), 1e-6);
        assertEquals(0f, d.get(0, 1, 2), 1e-6);
    }

    @Test
    void gray16ScaledBy65535() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSample(0, 0, 0, 65535);
        img.getRaster().setSample(1, 0, 0, 32768);
        Path png = write(img, "png", "g16.png");
        ImageData d = ImageFiles.read(png);
        assertEquals(1, d.channels());
        assertEquals(1f, d.get(0, 0, 0), 1e-6);
        assertEquals(0.5f, d.get(0, 0, 1), 1e-4);
        ImageData t = ImageFiles.read(write(img, "tiff", "g16.tif"));
        assertEquals(1, t.channels());
        assertEquals(0.5f, t.get(0, 0, 1), 1e-4);
    }

    @Test
    void rgb16() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(2, 1);
        r.setPixel(0, 0, new int[] {65535, 0, 32768});
        BufferedImage img = new BufferedImage(cm, r, false, null);
        ImageData d = ImageFiles.read(write(img, "png", "rgb16.png"));
        assertEquals(3, d.channels());
        assertEquals(1f, d.get(0, 0, 0), 1e-6);
        assertEquals(0f, d.get(1, 0, 0), 1e-6);
        assertEquals(0.5f, d.get(2, 0, 0), 1e-4);
    }

    @Test
    void rgbAndRgbaAndGrayAlpha() throws IOException {
        ImageData d = ImageFiles.read(write(rgb(4, 3), "png", "rgb.png"));
        assertEquals(3, d.channels());
        assertEquals(80 / 255f, d.get(0, 1, 2), 1e-6);
        assertEquals(50 / 255f, d.get(1, 1, 2), 1e-6);
        assertEquals(200 / 255f, d.get(2, 1, 2), 1e-6);

        BufferedImage rgba = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x10FF8000);
        ImageData a = ImageFiles.read(write(rgba, "png", "rgba.png"));
        assertEquals(3, a.channels());
        assertEquals(1f, a.get(0, 0, 0), 1e-6);
        assertEquals(128 / 255f, a.get(1, 0, 0), 1e-6);
        assertEquals(0f, a.get(2, 0, 0), 1e-6);

        ComponentColorModel gaCm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster gr = gaCm.createCompatibleWritableRaster(2, 2);
        gr.setPixel(1, 1, new int[] {102, 7});
        ImageData ga = ImageFiles.read(write(new BufferedImage(gaCm, gr, false, null), "png", "ga.png"));
        assertEquals(1, ga.channels());
        assertEquals(0.4f, ga.get(0, 1, 1), 1e-6);
    }

    @Test
    void palettePng() throws IOException {
        byte[] r = {0, (byte) 255, 0};
        byte[] g = {0, 0, (byte) 255};
        byte[] b = {0, 0, 0};
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 3, r, g, b));
        img.getRaster().setSample(0, 0, 0, 1);
        img.getRaster().setSample(1, 0, 0, 2);
        ImageData d = ImageFiles.read(write(img, "png", "pal.png"));
        assertEquals(3, d.channels());
        assertEquals(1f, d.get(0, 0, 0), 1e-6);
        assertEquals(0f, d.get(1, 0, 0), 1e-6);
        assertEquals(1f, d.get(1, 0, 1), 1e-6);

        byte[] gray = {0, (byte) 128, (byte) 255};
        BufferedImage gp = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 3, gray, gray, gray));
        gp.getRaster().setSample(0, 0, 0, 1);
        ImageData gd = ImageFiles.read(write(gp, "png", "graypal.png"));
        assertEquals(1, gd.channels());
        assertEquals(128 / 255f, gd.get(0, 0, 0), 1e-6);
    }

    @Test
    void jpegBmpTiff() throws IOException {
        BufferedImage src = rgb(8, 8);
        BufferedImage bgr = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
        bgr.getGraphics().drawImage(src, 0, 0, null);
        ImageData j = ImageFiles.read(write(bgr, "jpeg", "a.jpg"));
        assertEquals(3, j.channels());
        assertEquals(200 / 255f, j.get(2, 4, 4), 0.1);
        ImageData bmp = ImageFiles.read(write(bgr, "bmp", "a.bmp"));
        assertEquals(3, bmp.channels());
        assertEquals(src.getRGB(5, 6) >> 16 & 0xFF, Math.round(bmp.get(0, 6, 5) * 255));
        ImageData tif = ImageFiles.read(write(bgr, "tiff", "a.tiff"));
        assertArrayEquals(bmp.pixels(), tif.pixels(), 1e-6f);
        BufferedImage g = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        assertEquals(1, ImageFiles.read(write(g, "jpeg", "g.jpg")).channels());
        assertEquals(1, ImageFiles.read(write(g, "bmp", "g.bmp")).channels());
        assertEquals(new ImageFiles.ImageSize(8, 8), ImageFiles.size(dir.resolve("a.jpg")));
    }

    @Test
    void cmykTiffIsConvertedToRgb() throws IOException {
        ColorSpace cmyk = com.twelvemonkeys.imageio.color.ColorSpaces.getColorSpace(
                com.twelvemonkeys.imageio.color.ColorSpaces.CS_GENERIC_CMYK);
        ComponentColorModel cm = new ComponentColorModel(cmyk, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(2, 2);
        r.setPixel(0, 0, new int[] {0, 255, 255, 0});
        ImageData d = ImageFiles.read(write(new BufferedImage(cm, r, false, null), "tiff", "cmyk.tif"));
        assertEquals(3, d.channels());
        assertTrue(d.get(0, 0, 0) > 0.8f && d.get(1, 0, 0) < 0.3f && d.get(2, 0, 0) < 0.3f, "red");
    }

    @Test
    void twoColourComponentsAreRejectedAndInMemoryImagesConvert() {
        ColorSpace two = new ColorSpace(ColorSpace.TYPE_2CLR, 2) {
            private static final long serialVersionUID = 1L;

            @Override
            public float[] toRGB(float[] v) {
                return new float[] {v[0], v[1], 0};
            }

            @Override
            public float[] fromRGB(float[] rgb) {
                return new float[] {rgb[0], rgb[1]};
            }

            @Override
            public float[] toCIEXYZ(float[] v) {
                return new float[] {v[0], v[1], 0};
            }

            @Override
            public float[] fromCIEXYZ(float[] xyz) {
                return new float[] {xyz[0], xyz[1]};
            }
        };
        ComponentColorModel cm = new ComponentColorModel(two, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(2, 2), false, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageFiles.fromBufferedImage(img, "camera-1"));
        assertTrue(e.getMessage().contains("camera-1") && e.getMessage().contains("2 colour component"),
                e.getMessage());
        ImageData d = ImageFiles.fromBufferedImage(rgb(3, 2), "camera-2");
        assertEquals(3, d.channels());
        assertEquals("camera-2", d.source());
        assertEquals(40 / 255f, d.get(0, 0, 1), 1e-6);
    }

    @Test
    void truncatedPngAndJpegAreErrors() throws IOException {
        for (String fmt : new String[] {"png", "jpeg"}) {
            Path full = write(noise(64, 64, 1), fmt, "full." + fmt);
            byte[] bytes = Files.readAllBytes(full);
            Path cut = dir.resolve("cut." + fmt);
            Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
            IOException e = assertThrows(IOException.class, () -> ImageFiles.read(cut), fmt);
            assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        }
    }

    @Test
    void notAnImageMissingEmptyAndZeroSize() throws IOException {
        Path text = dir.resolve("text.png");
        Files.writeString(text, "hello, I am not a PNG");
        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(text));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());

        Path missing = dir.resolve("missing.png");
        e = assertThrows(IOException.class, () -> ImageFiles.read(missing));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains(missing.toString()));

        Path empty = Files.createFile(dir.resolve("empty.png"));
        e = assertThrows(IOException.class, () -> ImageFiles.read(empty));
        assertTrue(e.getMessage().contains(empty.toString()));

        Path zero = dir.resolve("zero.png");
        Files.write(zero, pngWithSize(0, 5));
        e = assertThrows(IOException.class, () -> ImageFiles.read(zero));
        assertTrue(e.getMessage().contains(zero.toString()), e.getMessage());

        e = assertThrows(IOException.class, () -> ImageFiles.read(dir));
        assertTrue(e.getMessage().contains(dir.toString()));
    }

    /** A PNG signature and IHDR (8-bit gray) with the given size, then an empty IEND. */
    private static byte[] pngWithSize(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void maskAnyNonZeroIsDefect() throws IOException {
        BufferedImage m = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        m.setRGB(0, 0, 0x000001);
        m.setRGB(2, 1, 0x010000);
        Path image = write(rgb(3, 2), "png", "img.png");
        Mask mask = ImageFiles.readMask(write(m, "png", "m.png"), 2, 3, image);
        assertTrue(mask.get(0, 0));
        assertTrue(mask.get(1, 2));
        assertFalse(mask.get(0, 1));
        assertEquals(2, mask.count());
    }

    @Test
    void maskOfWrongSizeNamesBothFilesAndSizes() throws IOException {
        Path image = write(rgb(4, 3), "png", "img.png");
        Path mask = write(new BufferedImage(5, 3, BufferedImage.TYPE_BYTE_GRAY), "png", "img_mask.png");
        IOException e = assertThrows(IOException.class, () -> ImageFiles.readMask(mask, 3, 4, image));
        String msg = e.getMessage();
        assertTrue(msg.contains(mask.toString()) && msg.contains(image.toString()), msg);
        assertTrue(msg.contains("5x3") && msg.contains("4x3"), msg);
    }

    @Test
    void writePngRoundTripsAndIsAtomic() throws IOException {
        BufferedImage img = rgb(5, 4);
        Path out = dir.resolve("sub/dir/out.png");
        ImageFiles.writePng(img, out);
        ImageData d = ImageFiles.read(out);
        assertEquals(5, d.width());
        assertEquals(80 / 255f, d.get(0, 0, 2), 1e-6);
        ImageFiles.writePng(ImageFiles.toBufferedImage(d), out);
        assertArrayEquals(d.pixels(), ImageFiles.read(out).pixels(), 1e-6f);
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no temporary files left");
        }
        Mask mask = new Mask(2, 2, new boolean[] {true, false, false, true});
        Path mf = dir.resolve("m.png");
        ImageFiles.writeMask(mask, mf);
        Raster r = ImageIO.read(mf.toFile()).getRaster();
        assertEquals(255, r.getSample(0, 0, 0));
        assertEquals(0, r.getSample(1, 0, 0));
        assertArrayEquals(mask.pixels(), ImageFiles.readMask(mf, 2, 2, mf).pixels());
    }
}
