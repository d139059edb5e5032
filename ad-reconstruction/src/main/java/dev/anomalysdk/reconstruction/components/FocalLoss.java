package dev.anomalysdk.reconstruction.components;

import ai.djl.ndarray.NDArray;

/**
 * The focal loss (Lin et al. 2017) on 2-class segmentation logits, as DRAEM and DSR use it: {@code gamma = 2},
 * the one-hot target smoothed to {@code [s, 1 - s]} with {@code s = 1e-5}, {@code p_t = sum_k target_k p_k + s}
 * on the softmax probabilities, and the loss the mean over pixels of {@code -(1 - p_t)^gamma log p_t}.
 */
public final class FocalLoss {
    /** The focusing exponent of DRAEM and DSR. */
    public static final double GAMMA = 2;
    /** Target smoothing (also added to {@code p_t} before the logarithm). */
    public static final float SMOOTH = 1e-5f;

    private FocalLoss() {}

    /**
     * @param logits N x 2 x H x W (channel 1 = anomalous)
     * @param mask N x 1 x H x W in {0, 1}
     * @return the mean focal loss with {@link #GAMMA}
     */
    public static NDArray of(NDArray logits, NDArray mask) {
        return of(logits, mask, GAMMA);
    }

    /**
     * @param logits N x 2 x H x W (channel 1 = anomalous)
     * @param mask N x 1 x H x W in {0, 1}
     * @param gamma the focusing exponent
     * @return the mean focal loss
     */
    public static NDArray of(NDArray logits, NDArray mask, double gamma) {
        NDArray p = logits.softmax(1);
        NDArray pAnomalous = p.get(":, 1:2, :, :");
        NDArray pNormal = p.get(":, 0:1, :, :");
        // Smoothed one-hot targets: anomalous weight in [s, 1 - s], normal weight its complement.
        NDArray t = mask.mul(1 - 2 * SMOOTH).add(SMOOTH);
        NDArray pt = pAnomalous.mul(t).add(pNormal.mul(t.neg().add(1))).add(SMOOTH);
        return pt.neg().add(1).pow(gamma).mul(pt.log()).neg().mean();
    }
}
