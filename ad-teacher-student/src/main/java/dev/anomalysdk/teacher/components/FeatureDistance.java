package dev.anomalysdk.teacher.components;

import ai.djl.ndarray.NDArray;

/**
 * Distances between teacher and student feature maps (NCHW), usable in a loss (differentiable, no NaN
 * gradient where a feature vector is zero) and in anomaly maps. Norms are clamped below at
 * {@value #EPSILON}, as PyTorch's {@code cosine_similarity} and {@code normalize} do.
 */
public final class FeatureDistance {
    /** Smallest norm used as a divisor. */
    public static final float EPSILON = 1e-8f;

    private FeatureDistance() {}

    /**
     * @param x an array
     * @param axes axes to reduce
     * @return the L2 norm over {@code axes} (kept as size-1 axes), at least {@link #EPSILON}
     */
    public static NDArray norm(NDArray x, int... axes) {
        // Clamp the squared norm before the square root: sqrt's gradient at 0 is infinite.
        return x.square().sum(axes, true).maximum(EPSILON * EPSILON).sqrt();
    }

    /**
     * Per-position cosine distance along channels: {@code 1 - <t, s> / (|t| |s|)}.
     *
     * @param teacher NCHW
     * @param student NCHW, same shape
     * @return N1HW distances in [0, 2]
     */
    public static NDArray channelCosineDistance(NDArray teacher, NDArray student) {
        NDArray dot = teacher.mul(student).sum(new int[] {1}, true);
        return dot.div(norm(teacher, 1).mul(norm(student, 1))).neg().add(1f);
    }

    /**
     * Cosine distance between whole feature maps, each sample's map flattened over C, H and W into one
     * vector (Reverse Distillation's training loss per scale).
     *
     * @param teacher N x ...
     * @param student same shape
     * @return N distances in [0, 2]
     */
    public static NDArray flattenedCosineDistance(NDArray teacher, NDArray student) {
        long n = teacher.getShape().get(0);
        NDArray t = teacher.reshape(n, -1);
        NDArray s = student.reshape(n, -1);
        NDArray dot = t.mul(s).sum(new int[] {1});
        return dot.div(norm(t, 1).squeeze(1).mul(norm(s, 1).squeeze(1))).neg().add(1f);
    }

    /**
     * Squared L2 distance between channel-normalized feature vectors, per position:
     * {@code |t/|t| - s/|s||^2} (equal to twice the cosine distance).
     *
     * @param teacher NCHW
     * @param student NCHW, same shape
     * @return N1HW distances in [0, 4]
     */
    public static NDArray normalizedSquaredDistance(NDArray teacher, NDArray student) {
        NDArray t = teacher.div(norm(teacher, 1));
        NDArray s = student.div(norm(student, 1));
        return t.sub(s).square().sum(new int[] {1}, true);
    }
}
