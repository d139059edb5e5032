package dev.anomalysdk.core.metrics;

/**
 * The threshold-sweep metrics, each computed in a single pass over keys sorted by score (one step
 * per tie group, so tied scores are handled exactly and no binning happens).
 */
final class Curves {
    private Curves() {
    }

    /**
     * AUROC, step-wise average precision and F1-max of one ranking.
     *
     * @param auroc area under the ROC curve (trapezoids between tie groups, i.e. the Mann-Whitney
     *     statistic with ties counted 1/2)
     * @param averagePrecision sum over tie groups of (R_k - R_{k-1}) * P_k
     * @param f1Max best F1; among equal F1 values the highest threshold wins
     */
    record Summary(double auroc, double averagePrecision, F1Max f1Max) {
    }

    /** Computes the three threshold-sweep metrics in one pass. */
    static Summary summary(SortedScores keys, long positives, long negatives) {
        var v = new SummaryVisitor(positives);
        keys.walk(null, v);
        return new Summary(v.twiceArea / (2.0 * positives * negatives), v.apSum / positives,
                new F1Max(v.bestF1, v.bestThreshold, v.bestPrecision, v.bestRecall));
    }

    private static final class SummaryVisitor implements SortedScores.GroupVisitor {
        private final long allPositives;
        private long previousPositives;
        private long previousNegatives;
        private double twiceArea;
        private double apSum;
        private double bestF1 = -1;
        private float bestThreshold;
        private double bestPrecision;
        private double bestRecall;

        SummaryVisitor(long allPositives) {
            this.allPositives = allPositives;
        }

        @Override
        public boolean group(float score, long pos, long neg, double overlapSum) {
            // Twice the ROC trapezoid, in units of samples (an exact integer while below 2^53).
            twiceArea += (double) (neg - previousNegatives) * (double) (pos + previousPositives);
            double precision = (double) pos / (pos + neg);
            if (pos > previousPositives) {
                apSum += (pos - previousPositives) * precision;
            }
            // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (TP + FP + P); equal ratios give equal doubles.
            double f1 = 2.0 * pos / ((double) pos + neg + allPositives);
            if (f1 > bestF1) {
                bestF1 = f1;
                bestThreshold = score;
                bestPrecision = precision;
                bestRecall = (double) pos / allPositives;
            }
            previousPositives = pos;
            previousNegatives = neg;
            return true;
        }
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

    /**
     * The ROC curve from (0, 0) to (1, 1), one point per tie group, thinned to about
     * {@code maxPoints} points.
     */
    static Curve roc(SortedScores keys, long positives, long negatives, int maxPoints) {
        Curve.Builder b = new Curve.Builder(2.0 / maxPoints);
        b.add(0, 0);
        keys.walk(null, (score, pos, neg, overlap) -> {
            b.add((double) neg / negatives, (double) pos / positives);
            return true;
        });
        return b.build();
    }

    /**
     * The PRO curve from (0, 0) up to FPR {@code fprLimit} (the last point interpolated at exactly the
     * limit, as {@link #aupro} integrates it), thinned to about {@code maxPoints} points.
     */
    static Curve pro(SortedScores keys, int[] regionSizes, long regions, long negatives, double fprLimit,
            int maxPoints) {
        Curve.Builder b = new Curve.Builder((fprLimit + 1) / maxPoints);
        b.add(0, 0);
        double[] previous = {0, 0};
        keys.walk(regionSizes, (score, pos, neg, overlap) -> {
            double fpr = (double) neg / negatives;
            double pro = overlap / regions;
            if (fpr >= fprLimit) {
                double x0 = previous[0];
                double y0 = previous[1];
                b.add(fprLimit, y0 + (pro - y0) * ((fprLimit - x0) / (fpr - x0)));
                return false;
            }
            b.add(fpr, pro);
            previous[0] = fpr;
            previous[1] = pro;
            return true;
        });
        return b.build();
    }
}
