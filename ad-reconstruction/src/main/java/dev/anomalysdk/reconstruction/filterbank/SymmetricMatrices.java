package dev.anomalysdk.reconstruction.filterbank;

/** Eigen-decomposition and Cholesky factorization of small dense symmetric matrices (row-major doubles). */
final class SymmetricMatrices {
    private SymmetricMatrices() {}

    /**
     * Cyclic Jacobi eigen-decomposition.
     *
     * @param a symmetric {@code n x n} matrix (not modified)
     * @param n order
     * @return {@code [eigenvalues (n), eigenvectors (n x n, column j is vector j)]}, eigenvalues descending
     */
    static double[][] eigen(double[] a, int n) {
        double[] m = a.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += m[i * n + i] * m[i * n + i];
                for (int j = i + 1; j < n; j++) {
                    off += m[i * n + j] * m[i * n + j];
                }
            }
            if (off <= 1e-22 * Math.max(diag, 1e-300)) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = m[p * n + q];
                    if (Math.abs(apq) < 1e-300) {
                        continue;
                    }
                    double theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double mkp = m[k * n + p];
                        double mkq = m[k * n + q];
                        m[k * n + p] = c * mkp - s * mkq;
                        m[k * n + q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++) {
                        double mpk = m[p * n + k];
                        double mqk = m[q * n + k];
                        m[p * n + k] = c * mpk - s * mqk;
                        m[q * n + k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p];
                        double vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] diagonal = new double[n];
        for (int i = 0; i < n; i++) {
            diagonal[i] = m[i * n + i];
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(diagonal[y], diagonal[x]));
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int j = 0; j < n; j++) {
            values[j] = diagonal[order[j]];
            for (int k = 0; k < n; k++) {
                vectors[k * n + j] = v[k * n + order[j]];
            }
        }
        return new double[][] {values, vectors};
    }

    /**
     * Cholesky factor {@code L} (lower triangular, row-major, {@code A = L L^T}) of a symmetric positive
     * definite matrix, written into {@code out} at {@code offset}.
     */
    static void cholesky(double[] a, int n, float[] out, int offset) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("Covariance is not positive definite (pivot " + s + ")");
                    }
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        for (int i = 0; i < n * n; i++) {
            out[offset + i] = (float) l[i];
        }
    }

    /** @return {@code |L^-1 (x - mean)|} with {@code L} at {@code lOffset} and the mean at {@code mOffset} */
    static double mahalanobis(float[] x, int xOffset, int xStride, float[] mean, int mOffset, float[] l, int lOffset,
            int n, double[] work) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double s = x[xOffset + i * xStride] - mean[mOffset + i];
            for (int k = 0; k < i; k++) {
                s -= l[lOffset + i * n + k] * work[k];
            }
            work[i] = s / l[lOffset + i * n + i];
            sum += work[i] * work[i];
        }
        return Math.sqrt(sum);
    }
}
