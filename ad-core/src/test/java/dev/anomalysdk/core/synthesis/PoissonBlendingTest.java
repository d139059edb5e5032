package dev.anomalysdk.core.synthesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PoissonBlendingTest {
    static final int H = 24;
    static final int W = 30;

    static boolean[] rectangle(int top, int left, int bottom, int right) {
        boolean[] r = new boolean[H * W];
        for (int y = top; y < bottom; y++) {
            for (int x = left; x < right; x++) {
                r[y * W + x] = true;
            }
        }
        return r;
    }

    /** A bump: g(y, x) = 0.002 ((y - 12)^2 + (x - 15)^2) + 0.1 sin(x / 3). */
    static float[] bump() {
        float[] g = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                g[y * W + x] = (float) (0.002 * ((y - 12) * (y - 12) + (x - 15) * (x - 15)) + 0.1 * Math.sin(x / 3.0));
            }
        }
        return g;
    }

    @Test
    void keepsTheSourceGradientsAndTakesTheTargetsLevel() {
        float[] g = bump();
        float[] t = new float[H * W];
        for (int i = 0; i < t.length; i++) {
            t[i] = g[i] + 0.2f; // same gradients, another level
        }
        boolean[] region = rectangle(4, 5, 20, 26);
        float[] f = PoissonBlending.blend(t, g, region, H, W, 500, 1e-8);
        // The solution of the discrete problem is g + 0.2 exactly: gradients of g, boundary values of t.
        for (int i = 0; i < f.length; i++) {
            assertEquals(t[i], f[i], 1e-4, "pixel " + i);
        }
    }

    @Test
    void reproducesATargetThatDiffersFromTheSourceByALinearFunction() {
        float[] g = bump();
        float[] t = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                t[y * W + x] = g[y * W + x] + 0.3f + 0.01f * x - 0.02f * y;
            }
        }
        boolean[] region = rectangle(3, 3, 21, 27);
        float[] f = PoissonBlending.blend(t, g, region, H, W, 500, 1e-8);
        // A linear function is discrete-harmonic, so f - g is the linear function fixed by the boundary.
        double maxErr = 0;
        for (int i = 0; i < f.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(f[i] - t[i]));
        }
        assertTrue(maxErr < 1e-4, "max error " + maxErr);
        // A naive paste would be off by the offset.
        assertTrue(Math.abs(g[12 * W + 15] - t[12 * W + 15]) > 0.2);
    }

    @Test
    void aFlatSourceTakesTheBoundaryValuesAndOutsideIsUntouched() {
        float[] t = new float[H * W];
        float[] g = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                t[y * W + x] = x < 15 ? 0.2f : 0.2f; // flat target
                g[y * W + x] = 0.9f; // flat, brighter source
            }
        }
        boolean[] region = rectangle(5, 5, 19, 25);
        float[] f = PoissonBlending.blend(t, g, region, H, W, 500, 1e-8);
        for (int i = 0; i < f.length; i++) {
            assertEquals(0.2f, f[i], 1e-4, "flat source blends to the surrounding level at " + i);
        }
        // Pixels outside the region keep the target's values exactly.
        float[] t2 = bump();
        float[] f2 = PoissonBlending.blend(t2, g, region, H, W, 500, 1e-8);
        assertEquals(t2[0], f2[0]);
        assertEquals(t2[4 * W + 10], f2[4 * W + 10]);
    }

    @Test
    void rejectsARegionTouchingTheBorder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PoissonBlending.blend(new float[H * W], new float[H * W], rectangle(0, 3, 5, 8), H, W, 10, 1e-6));
        assertTrue(e.getMessage().contains("border"), e.getMessage());
    }
}
