package dev.anomalysdk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class AnomalyMapTest {

    private static float[] flatten(double[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[0].length; x++) {
                out[y * rows[0].length + x] = (float) rows[y][x];
            }
        }
        return out;
    }

    @Test
    void bilinearResizeWithHalfPixelCentresMatchesPyTorch() {
        // Expected: torch 1.13 F.interpolate([[0,1],[2,3]], size=(4,4), mode='bilinear', align_corners=False)
        AnomalyMap m = new AnomalyMap(2, 2, new float[] {0, 1, 2, 3}).resize(4, 4, false);
        assertArrayEquals(flatten(new double[][] {{0, 0.25, 0.75, 1}, {0.5, 0.75, 1.25, 1.5},
                {1.5, 1.75, 2.25, 2.5}, {2, 2.25, 2.75, 3}}), m.values(), 1e-6f);
    }

    @Test
    void bilinearResizeWithAlignedCornersMatchesPyTorch() {
        // Expected: torch 1.13 F.interpolate(..., size=(3,5), mode='bilinear', align_corners=True)
        AnomalyMap m = new AnomalyMap(2, 2, new float[] {0, 1, 2, 3}).resize(3, 5, true);
        assertArrayEquals(flatten(new double[][] {{0, 0.25, 0.5, 0.75, 1}, {1, 1.25, 1.5, 1.75, 2},
                {2, 2.25, 2.5, 2.75, 3}}), m.values(), 1e-6f);
    }

    @Test
    void gaussianBlurOfAnImpulseIsTheNormalizedKernel() {
        int n = 41;
        float[] v = new float[n * n];
        v[20 * n + 20] = 1;
        AnomalyMap blurred = new AnomalyMap(n, n, v).gaussianBlur(4);
        // Kernel radius int(4*4+0.5) = 16, so the impulse spreads exactly 16 pixels.
        double sum = 0;
        for (int i = -16; i <= 16; i++) {
            sum += Math.exp(-i * i / 32.0);
        }
        double g0 = 1 / sum;
        for (int dx : new int[] {0, 3, 16}) {
            double g = Math.exp(-dx * dx / 32.0) / sum;
            assertEquals(g0 * g, blurred.get(20, 20 + dx), 1e-7);
        }
        assertEquals(0f, blurred.get(20, 20 + 17), 0f);
        assertEquals(1.0, sum(blurred.values()), 1e-5);
    }

    @Test
    void gaussianBlurMirrorsAtTheBorderLikeScipyReflect() {
        // Impulse on the first pixel of a row: with half-sample reflection, offsets -1 and 0 both read it.
        float[] v = new float[40];
        v[0] = 1;
        AnomalyMap blurred = new AnomalyMap(1, 40, v).gaussianBlur(2);
        double sum = 0;
        for (int i = -8; i <= 8; i++) {
            sum += Math.exp(-i * i / 8.0);
        }
        // Vertical pass on one row reflects onto itself: factor (sum of all weights) = 1.
        assertEquals((1 + Math.exp(-1 / 8.0)) / sum, blurred.get(0, 0), 1e-6);
        assertEquals((Math.exp(-1 / 8.0) + Math.exp(-4 / 8.0)) / sum, blurred.get(0, 1), 1e-6);
    }

    @Test
    void gaussianBlurEqualsTheDirectTwoDimensionalSum() {
        // Non-square, smaller than the kernel in one direction (reflection wraps more than once).
        int h = 9;
        int w = 23;
        double sigma = 2.5;
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        float[] v = new float[h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble();
        }
        AnomalyMap blurred = new AnomalyMap(h, w, v).gaussianBlur(sigma);
        int r = (int) (4 * sigma + 0.5);
        double norm = 0;
        for (int i = -r; i <= r; i++) {
            norm += Math.exp(-0.5 * i * i / (sigma * sigma));
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int dy = -r; dy <= r; dy++) {
                    for (int dx = -r; dx <= r; dx++) {
                        double g = Math.exp(-0.5 * (dy * dy + dx * dx) / (sigma * sigma)) / (norm * norm);
                        acc += g * v[AnomalyMap.mirror(y + dy, h) * w + AnomalyMap.mirror(x + dx, w)];
                    }
                }
                assertEquals(acc, blurred.get(y, x), 1e-6);
            }
        }
    }

    @Test
    void blurKeepsAConstantMapConstant() {
        AnomalyMap m = AnomalyMap.filled(10, 7, 3.5f).gaussianBlur(4);
        for (float x : m.values()) {
            assertEquals(3.5f, x, 1e-5f);
        }
    }

    @Test
    void averagePoolCountsZeroPaddingLikePyTorch() {
        // 3x3 of ones, window 3: the corner sees 4 ones out of 9 cells, the centre 9.
        AnomalyMap m = AnomalyMap.filled(3, 3, 1f).averagePool(3);
        assertEquals(4f / 9, m.get(0, 0), 1e-6f);
        assertEquals(6f / 9, m.get(0, 1), 1e-6f);
        assertEquals(1f, m.get(1, 1), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> m.averagePool(4));
    }

    @Test
    void normalizationPutsTheThresholdAtOneHalfAndClamps() {
        assertEquals(0.5f, AnomalyMap.normalize(3f, 3f, 1f, 5f), 0f);
        assertEquals(0.75f, AnomalyMap.normalize(4f, 3f, 1f, 5f), 1e-6f);
        assertEquals(1f, AnomalyMap.normalize(100f, 3f, 1f, 5f), 0f);
        assertEquals(0f, AnomalyMap.normalize(-100f, 3f, 1f, 5f), 0f);
    }

    @Test
    void thresholdMarksPixelsAtOrAboveIt() {
        Mask mask = new AnomalyMap(1, 4, new float[] {0.1f, 0.5f, 0.7f, 0.49f}).threshold(0.5f);
        assertEquals(2, mask.count());
        assertTrue(mask.get(0, 1) && mask.get(0, 2));
    }

    @Test
    void nonFiniteValuesAreRejectedWithTheirPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AnomalyMap(2, 2, new float[] {0, 0, Float.NaN, 0}));
        assertTrue(e.getMessage().contains("(1, 0)"), e.getMessage());
    }

    @Test
    void heatmapGoesFromBlueToRed() {
        BufferedImage img = new AnomalyMap(1, 2, new float[] {0, 1}).heatmap(0, 1);
        int cold = img.getRGB(0, 0);
        int hot = img.getRGB(1, 0);
        assertTrue((cold & 0xFF) > ((cold >> 16) & 0xFF), "low scores are blue");
        assertTrue(((hot >> 16) & 0xFF) > (hot & 0xFF), "high scores are red");
    }

    @Test
    void overlayRejectsAnImageOfAnotherSize() {
        AnomalyMap m = AnomalyMap.filled(4, 4, 0);
        ImageData img = new ImageData(1, 3, 4, new float[12], "x.png");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.overlay(img, 0, 1, 0.5f));
        assertTrue(e.getMessage().contains("x.png"));
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }
}
