package dev.anomalysdk.core.synthesis;

/**
 * Seamless (Poisson) cloning, after Pérez, Gangnet and Blake, "Poisson Image Editing" (SIGGRAPH 2003): inside
 * a region, find the image whose discrete Laplacian equals the source's (the source's gradients are kept)
 * and whose values on the region's outer boundary are the target's (no seam). On the 4-neighbour grid, for
 * every pixel {@code p} of the region:
 *
 * <pre>
 *   4 f(p) - sum_{q in N(p), q in region} f(q) = sum_{q in N(p)} (g(p) - g(q)) + sum_{q in N(p), q not in region} t(q)
 * </pre>
 *
 * with {@code g} the source (guide) and {@code t} the target. The system is symmetric positive definite and
 * solved by conjugate gradients (matrix-free), starting from the source shifted by the mean boundary
 * difference. The region must not touch the image border (every region pixel has four neighbours).
 */
public final class PoissonBlending {
    private PoissonBlending() {}

    /**
     * Blends one plane.
     *
     * @param target the target plane, row-major {@code height x width}
     * @param guide the source plane placed where it is to be cloned (same size as the target; only values in
     *     the region and on its boundary are used)
     * @param region the pixels to solve for
     * @param height rows
     * @param width columns
     * @param maxIterations most conjugate-gradient iterations
     * @param tolerance stop when the residual norm falls below {@code tolerance * |b|}
     * @return a new plane: the target outside the region, the Poisson solution inside (not clamped)
     */
    public static float[] blend(float[] target, float[] guide, boolean[] region, int height, int width,
            int maxIterations, double tolerance) {
        int n = height * width;
        if (target.length != n || guide.length != n || region.length != n) {
            throw new IllegalArgumentException("Planes must have " + n + " values (" + width + "x" + height + "), got "
                    + target.length + ", " + guide.length + ", " + region.length);
        }
        int count = 0;
        int[] index = new int[n];
        java.util.Arrays.fill(index, -1);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                if (region[p]) {
                    if (y == 0 || x == 0 || y == height - 1 || x == width - 1) {
                        throw new IllegalArgumentException("Poisson region touches the image border at (" + x + ", "
                                + y + ")");
                    }
                    index[p] = count++;
                }
            }
        }
        float[] out = target.clone();
        if (count == 0) {
            return out;
        }
        int[] pixel = new int[count];
        for (int p = 0; p < n; p++) {
            if (index[p] >= 0) {
                pixel[index[p]] = p;
            }
        }
        int[] offsets = {-width, width, -1, 1};
        double[] b = new double[count];
        double boundaryDiff = 0;
        int boundaryCount = 0;
        for (int i = 0; i < count; i++) {
            int p = pixel[i];
            double v = 0;
            for (int o : offsets) {
                int q = p + o;
                v += guide[p] - guide[q];
                if (index[q] < 0) {
                    v += target[q];
                    boundaryDiff += target[q] - guide[q];
                    boundaryCount++;
                }
            }
            b[i] = v;
        }
        double shift = boundaryCount > 0 ? boundaryDiff / boundaryCount : 0;
        double[] x = new double[count];
        for (int i = 0; i < count; i++) {
            x[i] = guide[pixel[i]] + shift;
        }
        double[] r = new double[count];
        applyLaplacian(x, pixel, index, offsets, r);
        double bNorm = 0;
        for (int i = 0; i < count; i++) {
            r[i] = b[i] - r[i];
            bNorm += b[i] * b[i];
        }
        double[] d = r.clone();
        double[] ad = new double[count];
        double rr = dot(r, r);
        double stop = tolerance * tolerance * Math.max(bNorm, 1e-30);
        for (int it = 0; it < maxIterations && rr > stop; it++) {
            applyLaplacian(d, pixel, index, offsets, ad);
            double alpha = rr / dot(d, ad);
            for (int i = 0; i < count; i++) {
                x[i] += alpha * d[i];
                r[i] -= alpha * ad[i];
            }
            double rrNew = dot(r, r);
            double beta = rrNew / rr;
            for (int i = 0; i < count; i++) {
                d[i] = r[i] + beta * d[i];
            }
            rr = rrNew;
        }
        for (int i = 0; i < count; i++) {
            out[pixel[i]] = (float) x[i];
        }
        return out;
    }

    /** y = A v with A the region's Laplacian system matrix (boundary terms live in b). */
    private static void applyLaplacian(double[] v, int[] pixel, int[] index, int[] offsets, double[] y) {
        for (int i = 0; i < v.length; i++) {
            double s = 4 * v[i];
            int p = pixel[i];
            for (int o : offsets) {
                int j = index[p + o];
                if (j >= 0) {
                    s -= v[j];
                }
            }
            y[i] = s;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
