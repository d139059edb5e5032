package dev.anomalysdk.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PixelMetricsTest {

    private static Mask mask(int height, int width, int... setIndices) {
        boolean[] p = new boolean[height * width];
        for (int i : setIndices) {
            p[i] = true;
        }
        return new Mask(height, width, p);
    }

    @Test
    void perfectMapGivesOne() {
        Mask truth = mask(4, 4, 5, 6, 15);
        float[] v = new float[16];
        for (int i : new int[] {5, 6, 15}) {
            v[i] = 1f;
        }
        PixelMetrics m = new PixelMetrics();
        m.add(new AnomalyMap(4, 4, v), truth);
        m.add(AnomalyMap.filled(4, 4, 0.5f), null);
        assertEquals(1.0, m.aupro(), 1e-12);
        assertEquals(1.0, m.aupro(1.0), 1e-12);
        assertEquals(1.0, m.aupro(0.01), 1e-12);
        assertEquals(1.0, m.auroc(), 1e-12);
        assertEquals(1.0, m.averagePrecision(), 1e-12);
        assertEquals(1.0, m.f1Max().f1(), 1e-12);
        assertEquals(1f, m.f1Max().threshold());
        assertEquals(32, m.pixelCount());
        assertEquals(3, m.anomalousPixelCount());
        assertEquals(2, m.regionCount());
    }

    @Test
    void constantMapGivesHalfTheLimit() {
        // One threshold: the curve goes straight from (0, 0) to (1, 1); the area up to FPR a is a^2/2.
        PixelMetrics m = new PixelMetrics();
        m.add(AnomalyMap.filled(5, 5, 0.2f), mask(5, 5, 0, 1, 12, 24));
        assertEquals(0.15, m.aupro(), 1e-12);
        assertEquals(0.05, m.aupro(0.1), 1e-12);
        assertEquals(0.5, m.aupro(1.0), 1e-12);
        assertEquals(0.5, m.auroc(), 1e-12);
        assertEquals(4.0 / 25.0, m.averagePrecision(), 1e-12);
    }

    @Test
    void regionsWeighEquallyWhateverTheirSize() {
        // 10x10 image: region A = 1 pixel scored 0.9, region B = 2x2 block scored 0.5; 95 normal
        // pixels, 19 of which score 0.7 (FPR 0.2) and 76 score 0.1.
        float[] v = new float[100];
        java.util.Arrays.fill(v, 0.1f);
        v[11] = 0.9f;
        for (int i : new int[] {55, 56, 65, 66}) {
            v[i] = 0.5f;
        }
        for (int i = 80; i < 99; i++) {
            v[i] = 0.7f;
        }
        PixelMetrics m = new PixelMetrics();
        m.add(new AnomalyMap(10, 10, v), mask(10, 10, 11, 55, 56, 65, 66));
        assertEquals(2, m.regionCount());
        // Curve: (0,0) (0,0.5) [t=0.9], (0.2,0.5) [t=0.7], (0.2,1) [t=0.5], (1,1) [t=0.1].
        // Up to 0.3: 0.2*0.5 + 0.1*1 = 0.2 -> 2/3. Up to 0.1: 0.05 -> 0.5. Up to 1: 0.1 + 0.8.
        assertEquals(2.0 / 3.0, m.aupro(), 1e-12);
        assertEquals(0.5, m.aupro(0.1), 1e-12);
        assertEquals(0.9, m.aupro(1.0), 1e-12);
        // Interpolation inside the first sloped segment: limit 0.25 -> (0.1 + 0.05) / 0.25.
        assertEquals(0.6, m.aupro(0.25), 1e-12);
        // Pixel AUROC by hand: A beats all 95; B's 4 pixels beat the 76 at 0.1 -> (95 + 4*76) / (5*95).
        assertEquals((95.0 + 4 * 76) / (5 * 95), m.auroc(), 1e-12);
    }

    @Test
    void diagonallyTouchingPixelsFormOneRegion() {
        // (0,0) and (1,1) touch only at a corner; (1,2) touches (1,1) by an edge; (0,4)/(1,3) is an
        // anti-diagonal pair that also joins. (3,0) is separate.
        int w = 5;
        Mask truth = mask(4, w, 0, w + 1, w + 2, 4, w + 3, 3 * w);
        int[] labels = new int[20];
        int[] sizes = Regions.label(truth.pixels(), 4, w, labels);
        assertArrayEquals(new int[] {5, 1}, sizes);
        assertEquals(labels[0], labels[w + 1]);
        assertEquals(labels[0], labels[4]);
        assertEquals(2, labels[3 * w]);
        assertEquals(0, labels[1]);

        // Only (0,0) scores high: with one 5-pixel region and one 1-pixel region the PRO at the top
        // threshold is (1/5 + 0) / 2 (with 4-connectivity it would be (1 + 0 + 0) / 3).
        float[] v = new float[20];
        v[0] = 1f;
        PixelMetrics m = new PixelMetrics();
        m.add(new AnomalyMap(4, w, v), truth);
        assertEquals(2, m.regionCount());
        // Curve: (0,0) (0,0.1) (1,1): up to 1 -> 0.55.
        assertEquals(0.55, m.aupro(1.0), 1e-12);
    }

    @Test
    void regionsDoNotSpanImages() {
        PixelMetrics m = new PixelMetrics();
        m.add(AnomalyMap.filled(2, 2, 0f), mask(2, 2, 3));
        m.add(AnomalyMap.filled(2, 2, 0f), mask(2, 2, 0));
        assertEquals(2, m.regionCount());
    }

    @Test
    void agreesWithBruteForceOnRandomImages() {
        Random rnd = new Random(2024);
        for (int trial = 0; trial < 40; trial++) {
            // Tiny chunks exercise the k-way merge of separately sorted chunks.
            PixelMetrics m = new PixelMetrics(trial % 2 == 0 ? 7 : 1 << 22);
            List<Naive.Image> images = new ArrayList<>();
            int count = 1 + rnd.nextInt(5);
            for (int k = 0; k < count; k++) {
                int h = 2 + rnd.nextInt(11);
                int w = 2 + rnd.nextInt(11);
                boolean[] p = new boolean[h * w];
                float[] v = new float[h * w];
                double density = rnd.nextDouble() * 0.4;
                for (int i = 0; i < p.length; i++) {
                    p[i] = rnd.nextDouble() < density;
                    double raw = rnd.nextGaussian() + (p[i] ? 1.0 : 0);
                    v[i] = (float) (Math.round(raw * 10) / 10.0);
                }
                if (k == 0) {
                    p[0] = true;
                    p[p.length - 1] = false;
                }
                boolean nullMask = k > 0 && rnd.nextInt(4) == 0;
                Mask truth = nullMask ? null : new Mask(h, w, p);
                m.add(new AnomalyMap(h, w, v), truth);
                images.add(new Naive.Image(h, w, v, nullMask ? new boolean[h * w] : p));
            }
            int n = 0;
            for (Naive.Image im : images) {
                n += im.scores().length;
            }
            float[] all = new float[n];
            boolean[] allTruth = new boolean[n];
            int o = 0;
            for (Naive.Image im : images) {
                System.arraycopy(im.scores(), 0, all, o, im.scores().length);
                System.arraycopy(im.mask(), 0, allTruth, o, im.mask().length);
                o += im.scores().length;
            }
            String at = "trial " + trial;
            assertEquals(n, m.pixelCount(), at);
            assertEquals(Naive.auroc(all, allTruth), m.auroc(), 1e-9, at);
            assertEquals(Naive.averagePrecision(all, allTruth), m.averagePrecision(), 1e-9, at);
            F1Max expected = Naive.f1Max(all, allTruth);
            assertEquals(expected.f1(), m.f1Max().f1(), 1e-9, at);
            assertEquals(expected.threshold(), m.f1Max().threshold(), at);
            for (double limit : new double[] {0.3, 0.05, 0.123, 1.0}) {
                assertEquals(Naive.aupro(images, limit), m.aupro(limit), 1e-9, at + " limit " + limit);
            }
        }
    }

    @Test
    void agreesWithBruteForceOnMediumImagesSortedByRadix() {
        // Chunks above 512 pixels go through the radix sort; scores include negative values.
        Random rnd = new Random(77);
        PixelMetrics m = new PixelMetrics(1000);
        List<Naive.Image> images = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            int h = 24;
            int w = 30;
            boolean[] p = new boolean[h * w];
            float[] v = new float[h * w];
            for (int i = 0; i < p.length; i++) {
                int y = i / w;
                int x = i % w;
                p[i] = (x - 8 * k - 5) * (x - 8 * k - 5) + (y - 10) * (y - 10) < 3 * k + 4 || rnd.nextInt(60) == 0;
                v[i] = (float) (Math.round((rnd.nextGaussian() + (p[i] ? 1.2 : 0)) * 20) / 20.0);
            }
            m.add(new AnomalyMap(h, w, v), new Mask(h, w, p));
            images.add(new Naive.Image(h, w, v, p));
        }
        float[] all = new float[3 * 24 * 30];
        boolean[] truth = new boolean[all.length];
        for (int k = 0; k < 3; k++) {
            System.arraycopy(images.get(k).scores(), 0, all, k * 720, 720);
            System.arraycopy(images.get(k).mask(), 0, truth, k * 720, 720);
        }
        assertEquals(Naive.auroc(all, truth), m.auroc(), 1e-9);
        assertEquals(Naive.averagePrecision(all, truth), m.averagePrecision(), 1e-9);
        assertEquals(Naive.f1Max(all, truth).f1(), m.f1Max().f1(), 1e-9);
        assertEquals(Naive.f1Max(all, truth).threshold(), m.f1Max().threshold());
        assertEquals(Naive.aupro(images, 0.3), m.aupro(), 1e-9);
        assertEquals(Naive.aupro(images, 0.02), m.aupro(0.02), 1e-9);
    }

    @Test
    void addingAfterAMetricInvalidatesTheSortedState() {
        PixelMetrics m = new PixelMetrics(3);
        m.add(new AnomalyMap(2, 2, new float[] {0.9f, 0.1f, 0.2f, 0.3f}), mask(2, 2, 0));
        assertEquals(1.0, m.auroc(), 1e-12);
        assertEquals(1.0, m.aupro(), 1e-12);
        // A normal image with one pixel above the defect.
        m.add(new AnomalyMap(1, 3, new float[] {0.95f, 0f, 0f}), null);
        // Defect 0.9 beats 5 of 6 normal pixels.
        assertEquals(5.0 / 6.0, m.auroc(), 1e-12);
        // PRO curve: (0,0) (1/6,0) (1/6,1) (1,1): up to 0.3 -> (0.3 - 1/6) / 0.3.
        assertEquals((0.3 - 1.0 / 6.0) / 0.3, m.aupro(), 1e-12);
    }

    @Test
    void largeInputSpanningSeveralChunks() {
        // 5 images of 1000x1000 (5 M pixels, two 4 Mi chunks); defects in bands score higher.
        PixelMetrics m = new PixelMetrics();
        Random rnd = new Random(7);
        long positives = 0;
        for (int k = 0; k < 5; k++) {
            int h = 1000;
            int w = 1000;
            boolean[] p = new boolean[h * w];
            float[] v = new float[h * w];
            for (int i = 0; i < v.length; i++) {
                p[i] = (i / w) % 100 < 10;
                v[i] = (float) (rnd.nextInt(1000) + (p[i] ? 500 : 0));
                if (p[i]) {
                    positives++;
                }
            }
            m.add(new AnomalyMap(h, w, v), new Mask(h, w, p));
        }
        assertEquals(5_000_000, m.pixelCount());
        assertEquals(positives, m.anomalousPixelCount());
        assertEquals(50, m.regionCount());
        // Population AUROC of normal ~ U{0..999} vs defect ~ U{500..1499}: P(d > n) + P(d = n) / 2.
        double expected = 0;
        for (int d = 500; d < 1500; d++) {
            int below = Math.min(d, 1000);
            int tie = d < 1000 ? 1 : 0;
            expected += below + 0.5 * tie;
        }
        expected /= 1e6;
        assertEquals(expected, m.auroc(), 2e-3);
        double aupro = m.aupro();
        assertTrue(aupro > 0 && aupro < 1, "aupro " + aupro);
    }

    @Test
    void rejectsSizeMismatchNamingBothSizes() {
        PixelMetrics m = new PixelMetrics();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.add(AnomalyMap.filled(3, 4, 0f), mask(4, 3)));
        assertEquals("Anomaly map is 4x3 but the ground-truth mask is 3x4", e.getMessage());
        assertEquals(0, m.pixelCount());
    }

    @Test
    void rejectsDegenerateStates() {
        PixelMetrics m = new PixelMetrics();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, m::auroc);
        assertTrue(e.getMessage().startsWith("No pixels"), e.getMessage());
        m.add(AnomalyMap.filled(2, 2, 0.5f), null);
        e = assertThrows(IllegalArgumentException.class, m::aupro);
        assertEquals("needs both normal and anomalous pixels, got only normal (4 pixels)", e.getMessage());
        PixelMetrics allDefect = new PixelMetrics();
        allDefect.add(AnomalyMap.filled(1, 2, 0.5f), mask(1, 2, 0, 1));
        e = assertThrows(IllegalArgumentException.class, allDefect::f1Max);
        assertEquals("needs both normal and anomalous pixels, got only anomalous (2 pixels)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.add(null, null));
    }

    @Test
    void rejectsInvalidFprLimits() {
        PixelMetrics m = new PixelMetrics();
        m.add(AnomalyMap.filled(2, 2, 0.5f), mask(2, 2, 0));
        for (double bad : new double[] {0, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.aupro(bad));
            assertEquals("FPR limit must be in (0, 1], got " + bad, e.getMessage());
        }
    }
}
