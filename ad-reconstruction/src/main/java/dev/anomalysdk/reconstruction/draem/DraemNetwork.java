package dev.anomalysdk.reconstruction.draem;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;

/**
 * DRAEM's two networks as one block: the reconstructive encoder-decoder (5 levels, widths
 * {@code r, 2r, 4r, 8r, 8r}, no skips) maps the (possibly anomalous) image to a reconstruction of its normal
 * appearance; the discriminative U-Net (6 levels, widths {@code d, 2d, 4d, 8d, 8d, 8d}, skips) sees the
 * reconstruction and the input side by side (6 channels) and outputs 2-channel segmentation logits (normal,
 * anomalous). Outputs: {@code [reconstruction (N x C x S x S), logits (N x 2 x S x S)]}.
 */
final class DraemNetwork extends AbstractBlock {
    private final EncoderDecoder reconstructive;
    private final EncoderDecoder discriminative;

    DraemNetwork(int channels, int reconWidth, int discWidth) {
        reconstructive = addChildBlock("reconstructive",
                new EncoderDecoder(EncoderDecoder.doublingWidths(reconWidth, 5), channels, false, false, null));
        discriminative = addChildBlock("discriminative",
                new EncoderDecoder(EncoderDecoder.doublingWidths(discWidth, 6), 2, true, false, null));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray rec = reconstructive.forward(store, new NDList(x), training, params).head();
        NDArray joined = NDArrays.concat(new NDList(rec, x), 1);
        NDArray logits = discriminative.forward(store, new NDList(joined), training, params).head();
        return new NDList(rec, logits);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in, new Shape(in.get(0), 2, in.get(2), in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        reconstructive.initialize(manager, dataType, in);
        discriminative.initialize(manager, dataType, new Shape(in.get(0), 2 * in.get(1), in.get(2), in.get(3)));
    }

    @Override
    public String toString() {
        return "DraemNetwork(" + reconstructive + ", " + discriminative + ")";
    }
}
