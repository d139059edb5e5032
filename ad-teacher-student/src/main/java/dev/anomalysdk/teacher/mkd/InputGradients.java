package dev.anomalysdk.teacher.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * MKD's localization: the gradient of each image's loss with respect to its input pixels ("vanilla"
 * back-propagation, the official code's {@code gradients} method), turned into a map as the official code
 * does ({@code convert_to_grayscale}): absolute values summed over the colour channels, then optionally
 * scaled per image so its minimum is 0 and its 99th percentile 1, clipped to [0, 1].
 */
final class InputGradients {
    private InputGradients() {}

    /**
     * Per-sample losses and their gradients with respect to the input.
     *
     * @param losses N per-sample losses
     * @param gradient N x C x H x W gradients, flattened
     */
    record Result(float[] losses, float[] gradient) { }

    /**
     * Evaluates a per-sample loss with autograd and back-propagates the sum of the losses; samples must not
     * interact (inference mode), so each image receives the gradient of its own loss.
     *
     * @param input NCHW batch; marked as requiring gradients; its manager receives every intermediate array
     * @param perSampleLoss maps the input to N losses
     * @return the losses and the input gradient
     */
    static Result compute(NDArray input, UnaryOperator<NDArray> perSampleLoss) {
        input.setRequiresGradient(true);
        NDArray losses;
        try (GradientCollector gc = input.getManager().getEngine().newGradientCollector()) {
            losses = perSampleLoss.apply(input);
            gc.backward(losses.sum());
        }
        return new Result(losses.toType(DataType.FLOAT32, false).toFloatArray(),
                input.getGradient().toType(DataType.FLOAT32, false).toFloatArray());
    }

    /**
     * @param gradient one image's C x H x W gradient, flattened
     * @param channels C
     * @param normalize whether to scale to [0, 1] between the minimum and the 99th percentile (official)
     * @return the H x W map: sum over channels of the absolute gradient, optionally normalized
     */
    static float[] map(float[] gradient, int channels, boolean normalize) {
        int px = gradient.length / channels;
        float[] m = new float[px];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < px; i++) {
                m[i] += Math.abs(gradient[c * px + i]);
            }
        }
        if (!normalize) {
            return m;
        }
        float[] sorted = m.clone();
        Arrays.sort(sorted);
        float min = sorted[0];
        float high = (float) percentile(sorted, 99);
        if (!(high > min)) {
            // Fewer than 1 % of the pixels above the minimum: fall back to the maximum (all-equal maps give 0).
            high = sorted[sorted.length - 1];
        }
        float range = high - min;
        for (int i = 0; i < px; i++) {
            m[i] = range > 0 ? Math.min(1f, Math.max(0f, (m[i] - min) / range)) : 0f;
        }
        return m;
    }

    /** NumPy's default (linear) percentile of ascending values. */
    static double percentile(float[] sorted, double q) {
        double rank = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }
}
