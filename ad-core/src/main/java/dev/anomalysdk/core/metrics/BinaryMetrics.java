package dev.anomalysdk.core.metrics;

/**
 * Threshold-free binary classification metrics over scores (higher = more anomalous) and labels
 * ({@code true} = anomalous), computed exactly: every distinct score value is a threshold, tied
 * scores form one step of the curve, and there is no binning.
 *
 * <p>Each metric sorts the scores once ({@code O(n log n)}) and sweeps the thresholds from the
 * highest score down in one pass; memory is 8 bytes per sample.
 *
 * <p>All methods reject (with {@link IllegalArgumentException}) null or empty input, arrays of
 * different lengths, non-finite scores and input with only one class.
 */
public final class BinaryMetrics {
    private BinaryMetrics() {
    }

    /**
     * Area under the ROC curve: the probability that a random anomalous sample scores higher than a
     * random normal one, a tie counting 1/2 (the trapezoid rule over tie groups).
     *
     * @param scores anomaly scores, finite
     * @param labels {@code true} = anomalous, same length as {@code scores}
     * @return the AUROC in [0, 1]
     * @throws IllegalArgumentException if the input is invalid or has only one class
     */
    public static double auroc(float[] scores, boolean[] labels) {
        Prepared p = prepare(scores, labels);
        return Curves.summary(p.keys, p.positives, p.negatives).auroc();
    }

    /**
     * Step-wise average precision, {@code sum_k (R_k - R_{k-1}) * P_k} over the thresholds k (one
     * per distinct score, from the highest down), where {@code P_k} and {@code R_k} are precision
     * and recall when samples with a score at or above threshold k are called anomalous. This is
     * the definition scikit-learn's {@code average_precision_score} uses (no interpolation).
     *
     * @param scores anomaly scores, finite
     * @param labels {@code true} = anomalous, same length as {@code scores}
     * @return the average precision in (0, 1]
     * @throws IllegalArgumentException if the input is invalid or has only one class
     */
    public static double averagePrecision(float[] scores, boolean[] labels) {
        Prepared p = prepare(scores, labels);
        return Curves.summary(p.keys, p.positives, p.negatives).averagePrecision();
    }

    /**
     * The best F1 score over all thresholds, where a sample is called anomalous when its score is at
     * or above the threshold. Every distinct score is tried; the returned threshold is one of the
     * given scores. When several thresholds reach the same F1, the highest one is returned.
     *
     * @param scores anomaly scores, finite
     * @param labels {@code true} = anomalous, same length as {@code scores}
     * @return the best F1 with its threshold, precision and recall
     * @throws IllegalArgumentException if the input is invalid or has only one class
     */
    public static F1Max f1Max(float[] scores, boolean[] labels) {
        Prepared p = prepare(scores, labels);
        return Curves.summary(p.keys, p.positives, p.negatives).f1Max();
    }

    /**
     * The ROC curve (x = false-positive rate, y = true-positive rate) from (0, 0) to (1, 1), one point
     * per distinct score; its trapezoid area is {@link #auroc}.
     *
     * @param scores anomaly scores, finite
     * @param labels {@code true} = anomalous, same length as {@code scores}
     * @return every point of the curve
     * @throws IllegalArgumentException if the input is invalid or has only one class
     */
    public static Curve rocCurve(float[] scores, boolean[] labels) {
        Prepared p = prepare(scores, labels);
        return Curves.roc(p.keys, p.positives, p.negatives, Integer.MAX_VALUE);
    }

    private record Prepared(SortedScores keys, long positives, long negatives) {
    }

    private static Prepared prepare(float[] scores, boolean[] labels) {
        if (scores == null) {
            throw new IllegalArgumentException("scores must not be null");
        }
        if (labels == null) {
            throw new IllegalArgumentException("labels must not be null");
        }
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(
                    "Got " + scores.length + " scores but " + labels.length + " labels");
        }
        if (scores.length == 0) {
            throw new IllegalArgumentException("No samples: scores and labels are empty");
        }
        SortedScores keys = new SortedScores();
        long positives = 0;
        for (int i = 0; i < scores.length; i++) {
            if (!Float.isFinite(scores[i])) {
                throw new IllegalArgumentException("Score at index " + i + " is not finite: " + scores[i]);
            }
            if (labels[i]) {
                positives++;
            }
            keys.add(SortedScores.key(scores[i], labels[i] ? 1 : 0));
        }
        long negatives = scores.length - positives;
        requireBothClasses(positives, negatives, "samples");
        return new Prepared(keys, positives, negatives);
    }

    /** Throws unless both counts are positive; {@code unit} names what was counted. */
    static void requireBothClasses(long positives, long negatives, String unit) {
        if (positives == 0) {
            throw new IllegalArgumentException("needs both normal and anomalous " + unit
                    + ", got only normal (" + negatives + " " + unit + ")");
        }
        if (negatives == 0) {
            throw new IllegalArgumentException("needs both normal and anomalous " + unit
                    + ", got only anomalous (" + positives + " " + unit + ")");
        }
    }
}
