/**
 * Exact, streaming, detector-independent evaluation metrics: image-level AUROC, average precision
 * and F1-max ({@link dev.anomalysdk.core.metrics.BinaryMetrics}), pixel-level AUROC, AUPRO, F1-max
 * and average precision over many images ({@link dev.anomalysdk.core.metrics.PixelMetrics}), and a
 * whole-test-set accumulator ({@link dev.anomalysdk.core.metrics.Evaluation}).
 *
 * <p>All curves are evaluated at every distinct score (tie groups), without binning.
 */
package dev.anomalysdk.core.metrics;
