package dev.anomalysdk.memorybank.anomalydino;

import java.util.Random;

/**
 * AnomalyDINO's zero-shot foreground mask of one image, from its own patch tokens (method card):
 * project the tokens on their first principal component, keep the patches whose projection exceeds a
 * threshold; if that keeps at most 35 % of the central region (a 20 % border removed on each side), the
 * component points the other way and the patches whose negated projection exceeds the threshold are kept
 * instead; finally a 3 x 3 dilation and a 3 x 3 closing fill small holes.
 *
 * <p>The component's sign is fixed so that its largest-magnitude loading is positive (the central-region
 * test makes the result independent of it in all but borderline cases).
 */
final class ForegroundMask {
    /** Share of the central region that must be foreground to keep the component's sign. */
    static final double CENTRE_SHARE = 0.35;
    /** Border removed on each side to form the central region. */
    static final double BORDER = 0.2;

    private ForegroundMask() {}

    /**
     * @param tokens {@code height * width} patch tokens of {@code dim} values, row-major
     * @param height patch rows
     * @param width patch columns
     * @param dim token dimension
     * @param threshold foreground threshold on the projection (10 for DINOv2)
     * @return per patch, whether it is foreground
     */
    static boolean[] compute(float[] tokens, int height, int width, int dim, double threshold) {
        double[] pc = firstComponentScores(tokens, height * width, dim);
        boolean[] mask = new boolean[pc.length];
        for (int i = 0; i < pc.length; i++) {
            mask[i] = pc[i] > threshold;
        }
        int y0 = (int) (height * BORDER);
        int y1 = (int) (height * (1 - BORDER));
        int x0 = (int) (width * BORDER);
        int x1 = (int) (width * (1 - BORDER));
        int kept = 0;
        int size = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                size++;
                if (mask[y * width + x]) {
                    kept++;
                }
            }
        }
        if (kept <= CENTRE_SHARE * size) {
            for (int i = 0; i < pc.length; i++) {
                mask[i] = -pc[i] > threshold;
            }
        }
        boolean[] dilated = dilate(mask, height, width);
        return erode(dilate(dilated, height, width), height, width);
    }

    /** Projections of the centred tokens on their first principal component. */
    static double[] firstComponentScores(float[] tokens, int n, int dim) {
        double[] mean = new double[dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                mean[j] += tokens[i * dim + j];
            }
        }
        for (int j = 0; j < dim; j++) {
            mean[j] /= n;
        }
        double[][] cov = new double[dim][dim];
        double[] row = new double[dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                row[j] = tokens[i * dim + j] - mean[j];
            }
            for (int a = 0; a < dim; a++) {
                double ra = row[a];
                double[] ca = cov[a];
                for (int b = a; b < dim; b++) {
                    ca[b] += ra * row[b];
                }
            }
        }
        for (int a = 0; a < dim; a++) {
            for (int b = 0; b < a; b++) {
                cov[a][b] = cov[b][a];
            }
        }
        // Power iteration from a fixed pseudo-random start.
        double[] v = new double[dim];
        Random r = new Random(0);
        for (int j = 0; j < dim; j++) {
            v[j] = r.nextGaussian();
        }
        normalize(v);
        for (int it = 0; it < 1000; it++) {
            double[] w = new double[dim];
            for (int a = 0; a < dim; a++) {
                double acc = 0;
                for (int b = 0; b < dim; b++) {
                    acc += cov[a][b] * v[b];
                }
                w[a] = acc;
            }
            if (normalize(w) == 0) {
                break;
            }
            double change = 0;
            for (int j = 0; j < dim; j++) {
                change = Math.max(change, Math.abs(w[j] - v[j]));
            }
            v = w;
            if (change < 1e-12) {
                break;
            }
        }
        int big = 0;
        for (int j = 1; j < dim; j++) {
            if (Math.abs(v[j]) > Math.abs(v[big])) {
                big = j;
            }
        }
        double sign = v[big] < 0 ? -1 : 1;
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = 0; j < dim; j++) {
                acc += (tokens[i * dim + j] - mean[j]) * v[j];
            }
            scores[i] = sign * acc;
        }
        return scores;
    }

    private static double normalize(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        s = Math.sqrt(s);
        if (s > 0) {
            for (int j = 0; j < v.length; j++) {
                v[j] /= s;
            }
        }
        return s;
    }

    /** 3 x 3 dilation; outside the grid counts as background (OpenCV's default border). */
    static boolean[] dilate(boolean[] m, int h, int w) {
        boolean[] out = new boolean[m.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean any = false;
                for (int dy = -1; dy <= 1 && !any; dy++) {
                    for (int dx = -1; dx <= 1 && !any; dx++) {
                        int yy = y + dy;
                        int xx = x + dx;
                        any = yy >= 0 && yy < h && xx >= 0 && xx < w && m[yy * w + xx];
                    }
                }
                out[y * w + x] = any;
            }
        }
        return out;
    }

    /** 3 x 3 erosion; outside the grid counts as foreground (OpenCV's default border). */
    static boolean[] erode(boolean[] m, int h, int w) {
        boolean[] out = new boolean[m.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean all = true;
                for (int dy = -1; dy <= 1 && all; dy++) {
                    for (int dx = -1; dx <= 1 && all; dx++) {
                        int yy = y + dy;
                        int xx = x + dx;
                        all = yy < 0 || yy >= h || xx < 0 || xx >= w || m[yy * w + xx];
                    }
                }
                out[y * w + x] = all;
            }
        }
        return out;
    }
}
