package dev.anomalysdk.core.metrics;

/**
 * The best F1 score over all thresholds, and where it is reached. A sample is called anomalous
 * when its score is at or above {@code threshold}.
 *
 * @param f1 the largest F1 score, in (0, 1]
 * @param threshold the score value (one of the evaluated scores) at which it is reached
 * @param precision precision at that threshold
 * @param recall recall at that threshold
 */
public record F1Max(double f1, float threshold, double precision, double recall) {
}
