package dev.anomalysdk.core.metrics;

/**
 * The threshold-sweep metrics, each computed in a single pass over keys sorted by score (one step
 * per tie group, so tied scores are handled exactly and no binning happens).
 */
final class Curves {
    private Curves() {
    }

    /**
     * Area under the ROC curve: trapezoids between consecutive tie groups, which equals the
     * Mann-Whitney statistic with ties counted 1/2.
     */
    static double auroc(SortedScores keys, long positives, long negatives) {
        double[] area = new double[1];
        long[] previous = new long[2];
        keys.walk(null, (score, pos, neg, overlap) -> {
            // Twice the trapezoid, in units of samples (an integer while below 2^53).
            area[0] += (double) (neg - previous[1]) * (double) (pos + previous[0]);
            previous[0] = pos;
            previous[1] = neg;
            return true;
        });
        return area[0] / (2.0 * positives * negatives);
    }

    /** Step-wise average precision: sum over tie groups of (R_k - R_{k-1}) * P_k. */
    static double averagePrecision(SortedScores keys, long positives) {
        double[] sum = new double[1];
        long[] previousPositives = new long[1];
        keys.walk(null, (score, pos, neg, overlap) -> {
            if (pos > previousPositives[0]) {
                sum[0] += (double) (pos - previousPositives[0]) * pos / (pos + neg);
                previousPositives[0] = pos;
            }
            return true;
        });
        return sum[0] / positives;
    }

    /** Best F1; among equal F1 values the highest threshold wins. */
    static F1Max f1Max(SortedScores keys, long positives) {
        double[] best = {-1, 0, 0};
        float[] bestThreshold = new float[1];
        keys.walk(null, (score, pos, neg, overlap) -> {
            // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (TP + FP + P)
            double f1 = 2.0 * pos / ((double) pos + neg + positives);
            if (f1 > best[0]) {
                best[0] = f1;
                best[1] = (double) pos / (pos + neg);
                best[2] = (double) pos / positives;
                bestThreshold[0] = score;
            }
            return true;
        });
        return new F1Max(best[0], bestThreshold[0], best[1], best[2]);
    }

    /**
     * Area under the PRO curve up to {@code fprLimit}, divided by {@code fprLimit}. The curve starts
     * at (0, 0) (threshold above every score) and is interpolated linearly at exactly the limit.
     *
     * @param regionSizes pixel count of region k at index k-1
     * @param regions number of regions
     * @param negatives number of normal pixels
     */
    static double aupro(SortedScores keys, int[] regionSizes, long regions, long negatives,
            double fprLimit) {
        double[] state = {0, 0, 0}; // area, previous FPR, previous PRO
        keys.walk(regionSizes, (score, pos, neg, overlap) -> {
            double fpr = (double) neg / negatives;
            double pro = overlap / regions;
            double x0 = state[1];
            double y0 = state[2];
            if (fpr >= fprLimit) {
                double yLimit = y0 + (pro - y0) * ((fprLimit - x0) / (fpr - x0));
                state[0] += (fprLimit - x0) * (y0 + yLimit) / 2;
                return false;
            }
            state[0] += (fpr - x0) * (y0 + pro) / 2;
            state[1] = fpr;
            state[2] = pro;
            return true;
        });
        return state[0] / fprLimit;
    }
}
