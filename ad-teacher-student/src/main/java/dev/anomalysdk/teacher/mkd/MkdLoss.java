package dev.anomalysdk.teacher.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.anomalysdk.teacher.components.FeatureDistance;

/**
 * MKD's loss, per sample: for each compared layer, the direction loss {@code 1 - cos(s, c)} between the
 * source's and the cloner's maps, each flattened over C, H and W into one vector, plus {@code lambda}
 * times their mean squared difference (over C, H and W); summed over the layers. This is the official
 * code's form ({@code MseDirectionLoss}: direction terms plus {@code lamda} times the MSE terms); the
 * paper writes the weight on the direction term instead ({@code L_val + lambda * L_dir}). The training loss
 * is the batch mean; the image score is the per-sample value.
 */
final class MkdLoss {
    private MkdLoss() {}

    /**
     * @param source the source's maps, one per compared layer (N x ...)
     * @param cloner the cloner's maps, same shapes
     * @param lambda weight of the squared-difference term
     * @return N per-sample losses
     */
    static NDArray perSample(NDList source, NDList cloner, float lambda) {
        if (source.size() != cloner.size() || source.isEmpty()) {
            throw new IllegalArgumentException("MKD compares as many source as cloner maps, got " + source.size()
                    + " and " + cloner.size());
        }
        NDArray total = null;
        for (int i = 0; i < source.size(); i++) {
            NDArray s = source.get(i);
            NDArray c = cloner.get(i);
            if (!s.getShape().equals(c.getShape())) {
                throw new IllegalArgumentException("Source map " + s.getShape() + " and cloner map " + c.getShape()
                        + " of layer " + i + " differ in shape");
            }
            long n = s.getShape().get(0);
            NDArray direction = FeatureDistance.flattenedCosineDistance(s, c);
            NDArray squared = c.sub(s).square().reshape(n, -1).mean(new int[] {1});
            NDArray term = direction.add(squared.mul(lambda));
            total = total == null ? term : total.add(term);
        }
        return total.toType(DataType.FLOAT32, false);
    }
}
