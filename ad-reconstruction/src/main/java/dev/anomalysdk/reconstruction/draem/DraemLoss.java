package dev.anomalysdk.reconstruction.draem;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.anomalysdk.reconstruction.components.Ssim;

/**
 * DRAEM's training loss: {@code L2(rec, I) + (1 - SSIM(rec, I)) + Focal(softmax(logits), M)} where {@code I} is
 * the normal image, {@code rec} the reconstruction of the augmented input and {@code M} the anomaly mask.
 *
 * <p>Focal loss (Lin et al. 2017) with {@code gamma = 2} on the 2-class softmax: the one-hot target is smoothed
 * to {@code [s, 1 - s]} with {@code s = 1e-5}, {@code p_t = sum_k target_k p_k + s}, and the loss is the mean over
 * pixels of {@code -(1 - p_t)^gamma log p_t}.
 */
final class DraemLoss {
    static final double GAMMA = 2;
    static final float SMOOTH = 1e-5f;

    private DraemLoss() {}

    /**
     * @param predictions {@code [reconstruction, logits]}
     * @param labels {@code [normal image, mask (N x 1 x S x S)]}
     * @return the scalar loss
     */
    static NDArray total(NDList predictions, NDList labels) {
        NDArray rec = predictions.get(0);
        NDArray logits = predictions.get(1);
        NDArray normal = labels.get(0);
        NDArray mask = labels.get(1);
        NDArray l2 = rec.sub(normal).square().mean();
        NDArray ssim = Ssim.loss(rec, normal);
        return l2.add(ssim).add(focal(logits, mask, GAMMA));
    }

    /**
     * @param logits N x 2 x H x W
     * @param mask N x 1 x H x W in {0, 1} (channel 1 = anomalous)
     * @return the mean focal loss
     */
    static NDArray focal(NDArray logits, NDArray mask, double gamma) {
        NDArray p = logits.softmax(1);
        NDArray pAnomalous = p.get(":, 1:2, :, :");
        NDArray pNormal = p.get(":, 0:1, :, :");
        // Smoothed one-hot targets: anomalous weight in [s, 1 - s], normal weight its complement.
        NDArray t = mask.mul(1 - 2 * SMOOTH).add(SMOOTH);
        NDArray pt = pAnomalous.mul(t).add(pNormal.mul(t.neg().add(1))).add(SMOOTH);
        return pt.neg().add(1).pow(gamma).mul(pt.log()).neg().mean();
    }
}
