package dev.anomalysdk.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Deliberately simple, slow reference implementations (O(n^2) and brute force over every distinct
 * threshold), written independently of the production code to cross-check it.
 */
final class Naive {
    private Naive() {
    }

    /** Mann-Whitney: fraction of (anomalous, normal) pairs ranked correctly, ties = 1/2. */
    static double auroc(float[] s, boolean[] y) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            if (!y[i]) {
                continue;
            }
            for (int j = 0; j < s.length; j++) {
                if (y[j]) {
                    continue;
                }
                pairs++;
                if (s[i] > s[j]) {
                    wins += 1;
                } else if (s[i] == s[j]) {
                    wins += 0.5;
                }
            }
        }
        return wins / pairs;
    }

    /** Distinct score values, highest first. */
    static List<Float> thresholdsDescending(float[] s) {
        TreeSet<Float> set = new TreeSet<>();
        for (float v : s) {
            set.add(v == 0f ? 0f : v);
        }
        return new ArrayList<>(set.descendingSet());
    }

    /** [tp, fp] when score >= t is called anomalous. */
    static long[] counts(float[] s, boolean[] y, float t) {
        long tp = 0;
        long fp = 0;
        for (int i = 0; i < s.length; i++) {
            if (s[i] >= t) {
                if (y[i]) {
                    tp++;
                } else {
                    fp++;
                }
            }
        }
        return new long[] {tp, fp};
    }

    static long positives(boolean[] y) {
        long p = 0;
        for (boolean b : y) {
            if (b) {
                p++;
            }
        }
        return p;
    }

    /** sum over thresholds of (R_k - R_{k-1}) P_k. */
    static double averagePrecision(float[] s, boolean[] y) {
        double p = positives(y);
        double ap = 0;
        double previousRecall = 0;
        for (float t : thresholdsDescending(s)) {
            long[] c = counts(s, y, t);
            double recall = c[0] / p;
            double precision = c[0] + c[1] == 0 ? 1 : c[0] / (double) (c[0] + c[1]);
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }
        return ap;
    }

    /** Best F1 via precision and recall; the highest threshold wins ties. */
    static F1Max f1Max(float[] s, boolean[] y) {
        double p = positives(y);
        F1Max best = null;
        for (float t : thresholdsDescending(s)) {
            long[] c = counts(s, y, t);
            double precision = c[0] / (double) (c[0] + c[1]);
            double recall = c[0] / p;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            if (best == null || f1 > best.f1() + 1e-12) {
                best = new F1Max(f1, t, precision, recall);
            }
        }
        return best;
    }

    /** One image for the AUPRO reference: scores and mask, row-major. */
    record Image(int height, int width, float[] scores, boolean[] mask) {
    }

    /** Recursive 8-neighbour flood fill; returns the regions as lists of pixel indices. */
    static List<List<Integer>> regions(int height, int width, boolean[] mask) {
        boolean[] seen = new boolean[mask.length];
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] && !seen[i]) {
                List<Integer> region = new ArrayList<>();
                fill(i / width, i % width, height, width, mask, seen, region);
                out.add(region);
            }
        }
        return out;
    }

    private static void fill(int y, int x, int h, int w, boolean[] mask, boolean[] seen,
            List<Integer> region) {
        if (y < 0 || y >= h || x < 0 || x >= w || !mask[y * w + x] || seen[y * w + x]) {
            return;
        }
        seen[y * w + x] = true;
        region.add(y * w + x);
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                fill(y + dy, x + dx, h, w, mask, seen, region);
            }
        }
    }

    /** Brute-force AUPRO: PRO and FPR recomputed from scratch at every distinct threshold. */
    static double aupro(List<Image> images, double limit) {
        List<float[]> regionScores = new ArrayList<>();
        List<Float> normals = new ArrayList<>();
        List<Float> all = new ArrayList<>();
        for (Image im : images) {
            for (List<Integer> region : regions(im.height(), im.width(), im.mask())) {
                float[] r = new float[region.size()];
                for (int k = 0; k < r.length; k++) {
                    r[k] = im.scores()[region.get(k)];
                }
                regionScores.add(r);
            }
            for (int i = 0; i < im.scores().length; i++) {
                all.add(im.scores()[i]);
                if (!im.mask()[i]) {
                    normals.add(im.scores()[i]);
                }
            }
        }
        float[] allArray = new float[all.size()];
        for (int i = 0; i < allArray.length; i++) {
            allArray[i] = all.get(i);
        }
        List<double[]> curve = new ArrayList<>();
        curve.add(new double[] {0, 0});
        for (float t : thresholdsDescending(allArray)) {
            double fp = 0;
            for (float v : normals) {
                if (v >= t) {
                    fp++;
                }
            }
            double pro = 0;
            for (float[] r : regionScores) {
                double hit = 0;
                for (float v : r) {
                    if (v >= t) {
                        hit++;
                    }
                }
                pro += hit / r.length;
            }
            curve.add(new double[] {fp / normals.size(), pro / regionScores.size()});
        }
        int end = 0;
        while (curve.get(end)[0] < limit) {
            end++;
        }
        double area = 0;
        for (int k = 1; k < end; k++) {
            area += (curve.get(k)[0] - curve.get(k - 1)[0]) * (curve.get(k)[1] + curve.get(k - 1)[1]) / 2;
        }
        double[] a = curve.get(end - 1);
        double[] b = curve.get(end);
        double yAtLimit = a[1] + (b[1] - a[1]) * (limit - a[0]) / (b[0] - a[0]);
        area += (limit - a[0]) * (a[1] + yAtLimit) / 2;
        return area / limit;
    }
}
