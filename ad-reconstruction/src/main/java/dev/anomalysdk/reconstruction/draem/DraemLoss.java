package dev.anomalysdk.reconstruction.draem;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.anomalysdk.reconstruction.components.FocalLoss;
import dev.anomalysdk.reconstruction.components.Ssim;

/**
 * DRAEM's training loss: {@code L2(rec, I) + (1 - SSIM(rec, I)) + Focal(softmax(logits), M)} where {@code I} is
 * the normal image, {@code rec} the reconstruction of the augmented input and {@code M} the anomaly mask.
 *
 * <p>The focal loss is {@link FocalLoss} (gamma 2, smoothing 1e-5).
 */
final class DraemLoss {
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
        return l2.add(ssim).add(FocalLoss.of(logits, mask));
    }
}
