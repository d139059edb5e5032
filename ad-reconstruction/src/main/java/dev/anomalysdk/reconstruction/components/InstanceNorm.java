package dev.anomalysdk.reconstruction.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Instance normalization without learned scale and shift (PyTorch's {@code InstanceNorm2d} defaults, which DSR
 * uses): each channel of each image is normalized over its pixels with the biased variance and
 * {@code eps = 1e-5}, in training and inference alike. No parameters.
 */
public final class InstanceNorm extends AbstractBlock {
    /** Added to the variance. */
    public static final float EPS = 1e-5f;

    /**
     * @param x N x C x H x W
     * @return {@code x} normalized per image and channel
     */
    public static NDArray apply(NDArray x) {
        Shape s = x.getShape();
        // Flattened planes: libtorch's mean over two axes is not exposed by DJL.
        NDArray flat = x.reshape(s.get(0), s.get(1), -1);
        NDArray centred = flat.sub(flat.mean(new int[] {2}, true));
        NDArray var = centred.square().mean(new int[] {2}, true);
        return centred.div(var.add(EPS).sqrt()).reshape(s);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(inputs.head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
