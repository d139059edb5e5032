package dev.anomalysdk.memorybank.padim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.DjlEnvironment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Streamed per-position Gaussians against a brute-force double-precision computation. */
class PositionGaussiansTest {
    static final int P = 5;
    static final int D = 4;

    /** x[n][p][d]: correlated random data far from the origin (stresses the float32 sums). */
    static double[][][] data(int n, long seed) {
        Random r = new Random(seed);
        double[][] mix = new double[D][D];
        for (double[] row : mix) {
            for (int j = 0; j < D; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[][][] x = new double[n][P][D];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < P; p++) {
                double[] z = new double[D];
                for (int j = 0; j < D; j++) {
                    z[j] = r.nextGaussian();
                }
                for (int a = 0; a < D; a++) {
                    double v = 50 + 10 * p;
                    for (int b = 0; b < D; b++) {
                        v += mix[a][b] * z[b];
                    }
                    x[i][p][a] = v;
                }
            }
        }
        return x;
    }

    /** positions x batch x dim array of samples [from, to). */
    static NDArray batch(NDManager m, double[][][] x, int from, int to) {
        float[] v = new float[P * (to - from) * D];
        int k = 0;
        for (int p = 0; p < P; p++) {
            for (int i = from; i < to; i++) {
                for (int j = 0; j < D; j++) {
                    v[k++] = (float) x[i][p][j];
                }
            }
        }
        return m.create(v, new Shape(P, to - from, D));
    }

    /** Gauss-Jordan inverse with partial pivoting. */
    static double[][] invert(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) {
                    piv = r;
                }
            }
            double[] t = m[c];
            m[c] = m[piv];
            m[piv] = t;
            double d = m[c][c];
            for (int j = 0; j < 2 * n; j++) {
                m[c][j] /= d;
            }
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = m[r][c];
                    for (int j = 0; j < 2 * n; j++) {
                        m[r][j] -= f * m[c][j];
                    }
                }
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], n, inv[i], 0, n);
        }
        return inv;
    }

    /** Brute force: mean, unbiased covariance + 0.01 I, inverse, sqrt of the quadratic form. */
    static double mahalanobis(double[][][] train, int p, double[] q) {
        int n = train.length;
        double[] mu = new double[D];
        for (double[][] s : train) {
            for (int j = 0; j < D; j++) {
                mu[j] += s[p][j] / n;
            }
        }
        double[][] cov = new double[D][D];
        for (double[][] s : train) {
            for (int a = 0; a < D; a++) {
                for (int b = 0; b < D; b++) {
                    cov[a][b] += (s[p][a] - mu[a]) * (s[p][b] - mu[b]) / (n - 1);
                }
            }
        }
        for (int a = 0; a < D; a++) {
            cov[a][a] += 0.01;
        }
        double[][] inv = invert(cov);
        double acc = 0;
        for (int a = 0; a < D; a++) {
            for (int b = 0; b < D; b++) {
                acc += (q[a] - mu[a]) * inv[a][b] * (q[b] - mu[b]);
            }
        }
        return Math.sqrt(acc);
    }

    @Test
    void streamedFitMatchesBruteForceMahalanobisForAnyBatchingAndChunking() {
        double[][][] train = data(23, 1);
        double[][][] queries = data(3, 2);
        for (int chunk : new int[] {1, 2, 5}) {
            try (NDManager m = DjlEnvironment.engine().newBaseManager();
                    PositionGaussians g = new PositionGaussians(m, P, D, chunk)) {
                int[] cuts = {0, 7, 8, 16, 23};
                for (int i = 0; i + 1 < cuts.length; i++) {
                    try (NDManager scope = m.newSubManager()) {
                        g.accumulate(batch(scope, train, cuts[i], cuts[i + 1]));
                    }
                }
                g.finish(0.01);
                assertEquals(23, g.count());
                float[][] got;
                try (NDManager scope = m.newSubManager()) {
                    got = g.distances(batch(scope, queries, 0, 3));
                }
                for (int b = 0; b < 3; b++) {
                    for (int p = 0; p < P; p++) {
                        double want = mahalanobis(train, p, queries[b][p]);
                        assertEquals(want, got[b][p], 1e-3 * Math.max(1, want),
                                "chunk " + chunk + ", query " + b + ", position " + p);
                    }
                }
                float[] means = g.means();
                double mu = 0;
                for (double[][] s : train) {
                    mu += s[3][2] / train.length;
                }
                assertEquals(mu, means[3 * D + 2], 1e-3);
            }
        }
    }

    @Test
    void aSampleAtTheMeanHasDistanceZeroAndOneSampleGivesTheRidgeOnly() {
        double[][][] one = data(1, 3);
        try (NDManager m = DjlEnvironment.engine().newBaseManager();
                PositionGaussians g = new PositionGaussians(m, P, D)) {
            try (NDManager scope = m.newSubManager()) {
                g.accumulate(batch(scope, one, 0, 1));
            }
            g.finish(0.01);
            // With one sample the covariance is 0 + 0.01 I, so the precision is 100 I.
            float[] prec = g.precision(2);
            for (int a = 0; a < D; a++) {
                for (int b = 0; b < D; b++) {
                    assertEquals(a == b ? 100f : 0f, prec[a * D + b], 1e-2);
                }
            }
            try (NDManager scope = m.newSubManager()) {
                float[][] d = g.distances(batch(scope, one, 0, 1));
                for (float v : d[0]) {
                    assertEquals(0f, v, 1e-3);
                }
            }
        }
    }

    @Test
    void accumulatingLeavesNoPerChunkTemporariesInTheCallersManager() {
        DjlEnvironment.init();
        int[] left = new int[2];
        int[] chunks = {100, 10};
        for (int t = 0; t < 2; t++) {
            try (NDManager m = NDManager.newBaseManager(); NDManager batch = m.newSubManager();
                    PositionGaussians g = new PositionGaussians(m, 20, 6, chunks[t])) {
                NDArray x = batch.randomNormal(new Shape(20, 4, 6));
                g.accumulate(x);
                g.accumulate(x);
                left[t] = batch.getManagedArrays().size();
            }
        }
        // One chunk or ten: the batch's manager holds the same arrays afterwards (per-chunk products, each as
        // large as a chunk of the model, are freed as they are used).
        assertEquals(left[0], left[1]);
    }
}
