package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;

/**
 * An exact stand-in for PyTorch's {@code ConvTranspose2d(kernel 4, stride 2, padding 1)}, which DSR's decoders
 * use and DJL's PyTorch engine does not offer: the input is dilated by inserting a zero after every pixel along
 * both axes, padded by 2 and convolved (stride 1) with the transposed convolution's kernel flipped in space and
 * with its input and output channels swapped. The output is {@code 2H x 2W}.
 *
 * <p>The parameter {@code weight} is therefore {@code out x in x 4 x 4} and holds
 * {@code W_pt[i][o][3 - a][3 - b]} at {@code [o][i][a][b]} for a PyTorch weight {@code W_pt} (see
 * {@link #fromPyTorch}); the mapping is a bijection, so a checkpoint converts both ways without loss. The
 * zeros cost four times the multiply-adds of a native transposed convolution.
 */
final class TransposedConv2d extends AbstractBlock {
    /** Kernel side. */
    static final int KERNEL = 4;
    private final Conv2d conv;
    private final int outChannels;

    /** @param outChannels output channels */
    TransposedConv2d(int outChannels) {
        this.outChannels = outChannels;
        conv = addChildBlock("conv", AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(KERNEL, KERNEL))
                .optPadding(new Shape(2, 2)).setFilters(outChannels)));
    }

    /** @return the convolution weight ({@code out x in x 4 x 4}) */
    Parameter weight() {
        return conv.getParameters().get("weight");
    }

    /** @return the bias ({@code out}) */
    Parameter bias() {
        return conv.getParameters().get("bias");
    }

    /**
     * Converts a PyTorch {@code ConvTranspose2d} weight to this block's layout.
     *
     * @param pt row-major {@code in x out x 4 x 4}
     * @param in input channels
     * @param out output channels
     * @return row-major {@code out x in x 4 x 4}
     */
    static float[] fromPyTorch(float[] pt, int in, int out) {
        float[] w = new float[pt.length];
        int k2 = KERNEL * KERNEL;
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                for (int a = 0; a < KERNEL; a++) {
                    for (int b = 0; b < KERNEL; b++) {
                        w[(o * in + i) * k2 + a * KERNEL + b] =
                                pt[(i * out + o) * k2 + (KERNEL - 1 - a) * KERNEL + (KERNEL - 1 - b)];
                    }
                }
            }
        }
        return w;
    }

    /** The inverse of {@link #fromPyTorch}: this block's layout to PyTorch's {@code in x out x 4 x 4}. */
    static float[] toPyTorch(float[] w, int in, int out) {
        float[] pt = new float[w.length];
        int k2 = KERNEL * KERNEL;
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                for (int a = 0; a < KERNEL; a++) {
                    for (int b = 0; b < KERNEL; b++) {
                        pt[(i * out + o) * k2 + (KERNEL - 1 - a) * KERNEL + (KERNEL - 1 - b)] =
                                w[(o * in + i) * k2 + a * KERNEL + b];
                    }
                }
            }
        }
        return pt;
    }

    /** @return {@code x} (N x C x H x W) with a zero after each pixel along both axes: N x C x 2H x 2W */
    static NDArray dilate(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray cols = NDArrays.stack(new NDList(x, x.zerosLike()), 4).reshape(n, c, h, 2 * w);
        return NDArrays.stack(new NDList(cols, cols.zerosLike()), 3).reshape(n, c, 2 * h, 2 * w);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray y = conv.forward(store, new NDList(dilate(x)), training, params).head();
        // The trailing zero row and column of the dilation give one extra output row and column.
        return new NDList(y.get(new NDIndex(":, :, :{}, :{}", 2 * h, 2 * w)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), outChannels, 2 * in.get(2), 2 * in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        conv.initialize(manager, dataType, new Shape(in.get(0), in.get(1), 2 * in.get(2), 2 * in.get(3)));
    }
}
