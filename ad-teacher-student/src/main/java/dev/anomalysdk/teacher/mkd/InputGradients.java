package dev.anomalysdk.teacher.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.anomalysdk.teacher.components.NoGrad;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * MKD's localization: the gradient of each image's loss with respect to its input pixels, either plain
 * ("vanilla", the official code's {@code gradients} method) or guided through the cloner (its default
 * {@code gbp}), turned into a map as the official code does ({@code convert_to_grayscale}): absolute
 * values summed over the colour channels, then optionally scaled per image so its minimum is 0 and its
 * 99th percentile 1, clipped to [0, 1].
 *
 * <p>DJL's PyTorch engine allows one gradient collector at a time in the whole JVM (it throws otherwise),
 * so computations here hold a JVM-wide lock: MKD predictions of different detector instances run one at a
 * time, and must not overlap a training run of another detector.
 */
final class InputGradients {
    private static final Object COLLECTOR_LOCK = new Object();

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
        synchronized (COLLECTOR_LOCK) {
            input.setRequiresGradient(true);
            NDArray losses;
            try (GradientCollector gc = input.getManager().getEngine().newGradientCollector()) {
                losses = perSampleLoss.apply(input);
                gc.backward(losses.sum());
            }
            return result(losses, input.getGradient());
        }
    }

    /**
     * Like {@link #compute} with MKD's loss, but the part of the gradient that flows through the cloner is
     * guided ({@link VggNetwork#guidedBackward}); the part through the source stays plain, as in the official
     * code, whose guided hooks sit on the cloner's ReLUs only.
     *
     * @param input NCHW batch; its manager receives every intermediate array
     * @param source the source's compared maps of an input (differentiable)
     * @param cloner the cloner, parameters frozen
     * @param lambda the loss's weight of the squared-difference term
     * @return the per-sample losses and the input gradient
     */
    static Result guided(NDArray input, Function<NDArray, NDList> source, VggNetwork cloner, float lambda) {
        synchronized (COLLECTOR_LOCK) {
            List<NDArray> acts;
            try (NoGrad g = NoGrad.enter()) {
                acts = cloner.trace(input);
            }
            // The cloner's outputs enter the loss as leaves, so one backward pass gives their gradients.
            NDList taps = new NDList();
            for (int p : cloner.tapPositions()) {
                NDArray t = acts.get(p).stopGradient();
                t.setRequiresGradient(true);
                taps.add(t);
            }
            NDArray x = input.stopGradient();
            x.setRequiresGradient(true);
            NDArray losses;
            try (GradientCollector gc = input.getManager().getEngine().newGradientCollector()) {
                losses = MkdLoss.perSample(source.apply(x), taps, lambda);
                gc.backward(losses.sum());
            }
            NDArray throughSource = x.getGradient();
            NDArray throughCloner = cloner.guidedBackward(acts, taps.stream().map(NDArray::getGradient).toList());
            return result(losses, throughSource.add(throughCloner));
        }
    }

    private static Result result(NDArray losses, NDArray gradient) {
        return new Result(losses.toType(DataType.FLOAT32, false).toFloatArray(),
                gradient.toType(DataType.FLOAT32, false).toFloatArray());
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
