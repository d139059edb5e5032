package dev.anomalysdk.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDatasetTest {
    @TempDir
    Path dir;

    private static SyntheticDataset small(Path root, long seed) {
        return SyntheticDataset.builder(root).imageSize(64).trainCount(2).testGoodCount(1).anomalousPerDefect(1)
                .seed(seed).build();
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }

    @Test
    void sameSeedGivesByteIdenticalFilesAndAnotherSeedDiffers() throws IOException {
        Path a = small(dir.resolve("a"), 3).generate();
        Path b = small(dir.resolve("b"), 3).generate();
        Path c = small(dir.resolve("c"), 4).generate();
        List<Path> names = files(a);
        assertEquals(2 * (2 + 1 + 4 + 4), names.size());
        assertEquals(names, files(b));
        assertEquals(names, files(c));
        int differing = 0;
        for (Path n : names) {
            assertArrayEquals(Files.readAllBytes(a.resolve(n)), Files.readAllBytes(b.resolve(n)), n.toString());
            if (!java.util.Arrays.equals(Files.readAllBytes(a.resolve(n)), Files.readAllBytes(c.resolve(n)))) {
                differing++;
            }
        }
        assertTrue(differing >= names.size() - 2, "another seed changes the images: " + differing);

        IOException e = assertThrows(IOException.class, () -> small(a, 3).generate());
        assertTrue(e.getMessage().contains(a.resolve("texture").toString()), e.getMessage());
        SyntheticDataset.builder(a).imageSize(64).trainCount(1).testGoodCount(0).anomalousPerDefect(0).seed(3)
                .overwrite(true).build().generate();
        assertEquals(2, files(a).size(), "overwrite replaces the category folders");
    }

    @Test
    void defaultDatasetHasVisibleExactDefects() throws IOException {
        long t0 = System.nanoTime();
        Path root = SyntheticDataset.builder(dir).build().generate();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 20_000, "generation took " + ms + " ms");
        DatasetReader reader = DatasetReaders.detect(root);
        assertEquals(List.of("object", "texture"), reader.categories(root));
        for (String cat : SyntheticDataset.CATEGORIES) {
            DatasetSplit s = reader.read(root, cat);
            assertEquals(40, s.train().size());
            assertEquals(10 + 5 * SyntheticDataset.DEFECT_TYPES.size(), s.test().size());
            ImageData t0img = s.train().get(0).loadImage();
            ImageData t1img = s.train().get(1).loadImage();
            assertEquals(3, t0img.channels());
            assertEquals(128, t0img.width());
            assertTrue(meanAbsDiff(t0img, t1img) > 0.01, "normal images vary");
            for (Sample sample : s.test()) {
                if (!sample.anomalous()) {
                    assertEquals("good", sample.defectType());
                    assertFalse(sample.hasMask(), sample.id());
                    continue;
                }
                assertTrue(SyntheticDataset.DEFECT_TYPES.contains(sample.defectType()));
                ImageData img = sample.loadImage();
                Mask m = sample.loadMask(img.height(), img.width());
                int count = m.count();
                assertTrue(count >= 6 && count < img.height() * img.width() / 10, sample + ": " + count + " pixels");
                double contrast = contrast(img, m);
                assertTrue(contrast > 0.08, sample + " defect contrast " + contrast);
            }
        }
    }

    private static double meanAbsDiff(ImageData a, ImageData b) {
        float[] x = a.pixelsView();
        float[] y = b.pixelsView();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += Math.abs(x[i] - y[i]);
        }
        return s / x.length;
    }

    /** Largest per-channel difference between the mean inside the mask and the mean of a 3-pixel ring around it. */
    private static double contrast(ImageData img, Mask m) {
        int h = img.height();
        int w = img.width();
        double best = 0;
        for (int c = 0; c < 3; c++) {
            double in = 0;
            double out = 0;
            int nin = 0;
            int nout = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (m.get(y, x)) {
                        in += img.get(c, y, x);
                        nin++;
                    } else if (near(m, y, x, 3)) {
                        out += img.get(c, y, x);
                        nout++;
                    }
                }
            }
            best = Math.max(best, Math.abs(in / nin - out / nout));
        }
        return best;
    }

    private static boolean near(Mask m, int y, int x, int r) {
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                int yy = y + dy;
                int xx = x + dx;
                if (yy >= 0 && xx >= 0 && yy < m.height() && xx < m.width() && m.get(yy, xx)) {
                    return true;
                }
            }
        }
        return false;
    }
}
