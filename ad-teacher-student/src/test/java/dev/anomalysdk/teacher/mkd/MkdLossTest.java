package dev.anomalysdk.teacher.mkd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.teacher.TestData;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MkdLossTest {
    @BeforeAll
    static void threads() {
        TestData.singleThreaded();
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** {@code 1 - cos(s, c) + lambda * mean((c - s)^2)} of one sample's flattened maps, in double. */
    private static double expected(float[] s, float[] c, int from, int length, double lambda) {
        double dot = 0;
        double ns = 0;
        double nc = 0;
        double sq = 0;
        for (int i = from; i < from + length; i++) {
            dot += s[i] * c[i];
            ns += s[i] * s[i];
            nc += c[i] * c[i];
            sq += (c[i] - s[i]) * (c[i] - s[i]);
        }
        return 1 - dot / Math.sqrt(ns * nc) + lambda * sq / length;
    }

    @Test
    void lossIsDirectionPlusLambdaTimesMeanSquaredDifferenceSummedOverLayers() {
        // Two samples, two layers of different shapes; each sample's loss computed above in plain Java.
        float[] s1 = random(2 * 3 * 2 * 2, 1);
        float[] c1 = random(2 * 3 * 2 * 2, 2);
        float[] s2 = random(2 * 5 * 1 * 1, 3);
        float[] c2 = random(2 * 5 * 1 * 1, 4);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDList source = new NDList(m.create(s1, new Shape(2, 3, 2, 2)), m.create(s2, new Shape(2, 5, 1, 1)));
            NDList cloner = new NDList(m.create(c1, new Shape(2, 3, 2, 2)), m.create(c2, new Shape(2, 5, 1, 1)));
            float[] got = MkdLoss.perSample(source, cloner, 0.5f).toFloatArray();
            for (int n = 0; n < 2; n++) {
                double want = expected(s1, c1, n * 12, 12, 0.5) + expected(s2, c2, n * 5, 5, 0.5);
                assertEquals(want, got[n], 1e-5, "sample " + n);
            }
        }
    }

    @Test
    void identicalMapsCostNothingAndScaledCopiesOnlyTheSquaredTerm() {
        // c = 2 s: direction loss 0, squared difference mean(s^2) = (1 + 4 + 9 + 16) / 4 = 7.5.
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray s = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4, 1, 1));
            assertEquals(0f, MkdLoss.perSample(new NDList(s), new NDList(s), 0.5f).getFloat(), 1e-6f);
            assertEquals(0.5f * 7.5f, MkdLoss.perSample(new NDList(s), new NDList(s.mul(2)), 0.5f).getFloat(), 1e-5f);
        }
    }

    @Test
    void theInputGradientOfALinearClonerMatchesTheAnalyticDerivative() {
        // Cloner c = a * x (element-wise), source target t fixed, one layer of 6 values per sample:
        // L = 1 - <c, t> / (|c| |t|) + lambda * |c - t|^2 / 6, so
        // dL/dx = a * ( -t / (|c| |t|) + <c, t> c / (|c|^3 |t|) + 2 lambda (c - t) / 6 ).
        float[] a = {0.5f, -1, 2, 1.5f, -0.25f, 1};
        float[] t = {1, 2, -1, 0.5f, 3, -2};
        float[] x = {0.3f, -0.7f, 1.1f, 0.2f, -0.4f, 0.9f, -1, 0.5f, 0.25f, 2, 1, -0.3f};
        float lambda = 0.5f;
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray av = m.create(a, new Shape(1, 6, 1, 1));
            NDArray tv = m.create(t, new Shape(1, 6, 1, 1)).repeat(0, 2);
            UnaryOperator<NDArray> loss = in -> MkdLoss.perSample(new NDList(tv), new NDList(in.mul(av)), lambda);
            InputGradients.Result r = InputGradients.compute(m.create(x, new Shape(2, 6, 1, 1)), loss);
            for (int n = 0; n < 2; n++) {
                double[] c = new double[6];
                double dot = 0;
                double nc = 0;
                double nt = 0;
                double sq = 0;
                for (int i = 0; i < 6; i++) {
                    c[i] = a[i] * x[n * 6 + i];
                    dot += c[i] * t[i];
                    nc += c[i] * c[i];
                    nt += t[i] * t[i];
                    sq += (c[i] - t[i]) * (c[i] - t[i]);
                }
                double normC = Math.sqrt(nc);
                double normT = Math.sqrt(nt);
                assertEquals(1 - dot / (normC * normT) + lambda * sq / 6, r.losses()[n], 1e-5);
                for (int i = 0; i < 6; i++) {
                    double dc = -t[i] / (normC * normT) + dot * c[i] / (nc * normC * normT)
                            + 2 * lambda * (c[i] - t[i]) / 6;
                    assertEquals(a[i] * dc, r.gradient()[n * 6 + i], 1e-5, "sample " + n + ", input " + i);
                }
            }
        }
    }

    @Test
    void gradientMapsSumAbsoluteChannelsAndScaleBetweenMinimumAndNinetyNinthPercentile() {
        // Two channels over 101 pixels: |g| summed is 0, 1, ..., 100 (pixel i gets i from channel 0 or 1
        // alternately, with signs). NumPy's 99th percentile of 0..100 is 99, so pixel i maps to
        // min(i / 99, 1).
        int px = 101;
        float[] g = new float[2 * px];
        for (int i = 0; i < px; i++) {
            g[(i % 2) * px + i] = (i % 3 == 0 ? -1 : 1) * i;
        }
        float[] raw = InputGradients.map(g, 2, false);
        float[] scaled = InputGradients.map(g, 2, true);
        for (int i = 0; i < px; i++) {
            assertEquals(i, raw[i], 0f);
            assertEquals(Math.min(i / 99f, 1f), scaled[i], 1e-6f);
        }
        // Constant maps have no range: all zero rather than NaN.
        assertArrayEquals(new float[4], InputGradients.map(new float[] {2, 2, 2, 2}, 1, true), 0f);
    }
}
