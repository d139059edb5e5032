package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.Random;

/**
 * DSR's anomaly generation in the quantized feature space. Under a Perlin mask, max-pooled to the feature
 * resolution, every position's code is replaced by a code drawn from the codebook by distance to the position's
 * (unquantized) feature: with anomaly strength {@code a} (uniform in [0.2, 1) per image), the candidates are the
 * codes ranked {@code floor(0.05 K)} to {@code k - 1} by distance, {@code k = max(1, min(floor(a K) + 1, K - 1))},
 * i.e. the 5 % nearest codes are skipped and stronger anomalies draw from farther codes; one candidate is picked
 * uniformly. Elsewhere the quantized features are kept unchanged.
 */
final class QuantizedAnomalies {
    /** Smallest anomaly strength (official {@code anom_par}). */
    static final double MIN_STRENGTH = 0.2;
    /** Fraction of nearest codes never used as replacements. */
    static final double SKIP_NEAREST = 0.05;

    private QuantizedAnomalies() {}

    /**
     * Draws the distance ranks of the replacement codes (independent of the features, so the batch maker can
     * draw them with its seeded generator).
     *
     * @param images images in the batch
     * @param positions feature positions per image
     * @param codes codebook size K
     * @param random the generator
     * @return {@code images * positions} ranks in {@code [floor(0.05 K), k)} (per image {@code k})
     */
    static long[] ranks(int images, int positions, int codes, Random random) {
        long[] r = new long[images * positions];
        for (int n = 0; n < images; n++) {
            double strength = MIN_STRENGTH + random.nextDouble() * (1 - MIN_STRENGTH);
            int k = Math.max(1, Math.min((int) (strength * codes) + 1, codes - 1));
            int skip = Math.min((int) (codes * SKIP_NEAREST), k - 1);
            for (int p = 0; p < positions; p++) {
                r[n * positions + p] = skip + random.nextInt(k - skip);
            }
        }
        return r;
    }

    /**
     * @param quantizer the codebook
     * @param features N x E x h x w unquantized features (the distances are measured from them)
     * @param quantized N x E x h x w their quantization
     * @param mask N x 1 x S x S binary image-resolution mask, S a multiple of h
     * @param ranks N h w x 1 int64 distance ranks from {@link #ranks}
     * @return N x E x h x w: replaced codes under the pooled mask, {@code quantized} elsewhere
     */
    static NDArray generate(VectorQuantizer quantizer, NDArray features, NDArray quantized, NDArray mask,
            NDArray ranks) {
        Shape s = features.getShape();
        NDArray order = quantizer.distances(VectorQuantizer.rows(features.stopGradient())).argSort(1);
        NDArray chosen = order.gather(ranks, 1).reshape(s.get(0), s.get(2), s.get(3));
        NDArray replacement = quantizer.lookup(chosen);
        NDArray pooled = pool(mask, s.get(2));
        return pooled.mul(replacement).add(pooled.neg().add(1).mul(quantized.stopGradient()));
    }

    /** @return the mask max-pooled to {@code side x side} */
    static NDArray pool(NDArray mask, long side) {
        int ratio = (int) (mask.getShape().get(2) / side);
        if (ratio == 1) {
            return mask;
        }
        return Pool.maxPool2d(mask, new Shape(ratio, ratio), new Shape(ratio, ratio), new Shape(0, 0), false);
    }
}
