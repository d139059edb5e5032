package dev.anomalysdk.reconstruction.nsa;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * Binary cross-entropy on logits plus soft Dice, for soft targets in [0, 1]:
 *
 * <pre>
 *   bce  = mean( max(z, 0) - z y + log(1 + exp(-|z|)) )          (numerically stable BCE with logits)
 *   dice = 1 - (2 sum(p y) + 1) / (sum(p) + sum(y) + 1),  p = sigmoid(z), sums over the whole batch
 *   loss = bce + diceWeight * dice
 * </pre>
 *
 * The Dice term is computed over the batch (not per image) so clean images, whose target is empty, do not
 * make it degenerate; the +1 smoothing keeps it defined when the whole batch is clean.
 */
public final class SegmentationLoss {
    private SegmentationLoss() {}

    /**
     * @param logits network output, any shape
     * @param target soft labels of the same shape
     * @param diceWeight weight of the Dice term
     * @return the scalar loss
     */
    public static NDArray bceDice(NDArray logits, NDArray target, double diceWeight) {
        NDArray bce = logits.maximum(0f).sub(logits.mul(target)).add(logits.abs().neg().exp().add(1f).log()).mean();
        NDArray p = Activation.sigmoid(logits);
        NDArray intersection = p.mul(target).sum();
        NDArray dice = intersection.mul(2f).add(1f).div(p.sum().add(target.sum()).add(1f)).neg().add(1f);
        return bce.add(dice.mul((float) diceWeight));
    }
}
