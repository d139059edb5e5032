package dev.anomalysdk.teacher.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;
import java.util.List;

/**
 * ResNet building blocks (DJL blocks, torchvision layout) for the trainable parts of teacher-student
 * methods: encoder blocks that halve the resolution with a strided 3x3 convolution, and their mirrored
 * decoder blocks that double it with a 2x2 transposed convolution of stride 2. Convolutions have no bias;
 * every convolution is followed by batch normalization (epsilon 1e-5, PyTorch momentum 0.1).
 */
public final class ResNetBlocks {
    private static final float BN_EPSILON = 1e-5f;

    private ResNetBlocks() {}

    /** The two residual block kinds of torchvision's ResNets. */
    public enum Kind {
        /** Two 3x3 convolutions; output channels = planes (ResNet-18/34). */
        BASIC(1),
        /** 1x1, 3x3, 1x1 convolutions; output channels = 4 * planes (ResNet-50, Wide ResNet-50-2). */
        BOTTLENECK(4);

        private final int expansion;

        Kind(int expansion) {
            this.expansion = expansion;
        }

        /** @return output channels per plane: 1 (basic) or 4 (bottleneck) */
        public int expansion() {
            return expansion;
        }
    }

    /**
     * @param filters output channels
     * @param kernel square kernel side
     * @param stride stride
     * @param padding zero padding on each side
     * @return a bias-free 2-D convolution
     */
    public static Block conv(int filters, int kernel, int stride, int padding) {
        return AlignedConv2d.of(Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(padding, padding)).optBias(false));
    }

    /**
     * A bias-free 2x2 transposed convolution with stride 2, which doubles height and width (PyTorch's
     * {@code ConvTranspose2d(in, filters, kernel_size=2, stride=2, bias=False)}).
     *
     * <p>DJL's PyTorch engine does not implement transposed convolution, so this block computes the same
     * function another way: with kernel = stride = 2 the output 2x2 cells do not overlap, and cell
     * {@code (i, j)} above input position {@code (h, w)} is {@code W[:, :, i, j]^T x[:, h, w]}. That is a 1x1
     * convolution to {@code 4 * filters} channels followed by a depth-to-space rearrangement. The weight is
     * stored as the 1x1 convolution's ({@code [4 * filters, in, 1, 1]}, rows ordered {@code (out, i, j)}).
     *
     * @param filters output channels
     * @return the block
     */
    public static Block deconv2x2(int filters) {
        return new SequentialBlock().add(conv(4 * filters, 1, 1, 0)).add(new DepthToSpace2());
    }

    /** {@code [N, 4C, H, W] -> [N, C, 2H, 2W]}: channel {@code 4c + 2i + j} goes to offset {@code (i, j)}. */
    private static final class DepthToSpace2 extends AbstractBlock {
        private static final byte VERSION = 1;

        DepthToSpace2() {
            super(VERSION);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            Shape s = x.getShape();
            long n = s.get(0);
            long c = s.get(1) / 4;
            long h = s.get(2);
            long w = s.get(3);
            return new NDList(x.reshape(n, c, 2, 2, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c, 2 * h, 2 * w));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape s = inputShapes[0];
            if (s.get(1) % 4 != 0) {
                throw new IllegalArgumentException("Depth-to-space needs a multiple of 4 channels, got " + s);
            }
            return new Shape[] {new Shape(s.get(0), s.get(1) / 4, 2 * s.get(2), 2 * s.get(3))};
        }
    }

    /** @return batch normalization over channels (axis 1) */
    public static Block bn() {
        return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(0.9f).build();
    }

    /** @return {@code conv -> bn -> relu} */
    public static SequentialBlock convBnRelu(int filters, int kernel, int stride, int padding) {
        return new SequentialBlock().add(conv(filters, kernel, stride, padding)).add(bn()).add(Activation::relu);
    }

    /**
     * An encoder residual block.
     *
     * @param kind basic or bottleneck
     * @param in input channels
     * @param planes the block's planes; output channels are {@code planes * kind.expansion()}
     * @param width inner width of a bottleneck ({@code planes} for ResNet-50, {@code 2 * planes} for Wide
     *     ResNet-50-2); ignored by basic blocks
     * @param stride 1 or 2 (on the 3x3 convolution, torchvision v1.5)
     * @return the block; the shortcut is a strided 1x1 convolution with batch norm when shapes change
     */
    public static Block encoder(Kind kind, int in, int planes, int width, int stride) {
        int out = planes * kind.expansion();
        SequentialBlock main = new SequentialBlock();
        if (kind == Kind.BASIC) {
            main.add(convBnRelu(planes, 3, stride, 1)).add(conv(planes, 3, 1, 1)).add(bn());
        } else {
            main.add(convBnRelu(width, 1, 1, 0)).add(convBnRelu(width, 3, stride, 1)).add(conv(out, 1, 1, 0))
                    .add(bn());
        }
        Block shortcut = stride == 1 && in == out ? Blocks.identityBlock()
                : new SequentialBlock().add(conv(out, 1, stride, 0)).add(bn());
        return residual(main, shortcut);
    }

    /**
     * A decoder residual block, the mirror of {@link #encoder}: with {@code upsample} the 3x3 convolution
     * that would stride (the first of a basic block, the middle of a bottleneck) becomes a 2x2 transposed
     * convolution of stride 2, and the shortcut is a 2x2 transposed convolution with batch norm.
     *
     * @param kind basic or bottleneck
     * @param in input channels
     * @param planes the block's planes; output channels are {@code planes * kind.expansion()}
     * @param width inner width of a bottleneck
     * @param upsample whether the block doubles the resolution
     * @return the block
     */
    public static Block decoder(Kind kind, int in, int planes, int width, boolean upsample) {
        int out = planes * kind.expansion();
        SequentialBlock main = new SequentialBlock();
        if (kind == Kind.BASIC) {
            main.add(upsample ? deconv2x2(planes) : conv(planes, 3, 1, 1)).add(bn()).add(Activation::relu)
                    .add(conv(planes, 3, 1, 1)).add(bn());
        } else {
            main.add(convBnRelu(width, 1, 1, 0))
                    .add(upsample ? deconv2x2(width) : conv(width, 3, 1, 1)).add(bn()).add(Activation::relu)
                    .add(conv(out, 1, 1, 0)).add(bn());
        }
        Block shortcut;
        if (upsample) {
            shortcut = new SequentialBlock().add(deconv2x2(out)).add(bn());
        } else if (in != out) {
            shortcut = new SequentialBlock().add(conv(out, 1, 1, 0)).add(bn());
        } else {
            shortcut = Blocks.identityBlock();
        }
        return residual(main, shortcut);
    }

    /**
     * A stage of {@code count} blocks whose first block changes the resolution.
     *
     * @param decoder whether to build decoder (upsampling) or encoder (downsampling) blocks
     * @param kind block kind
     * @param in input channels
     * @param planes planes of every block
     * @param widthFactor bottleneck inner width per plane (1, or 2 for wide ResNets)
     * @param count number of blocks, at least 1
     * @return the stage
     */
    public static SequentialBlock stage(boolean decoder, Kind kind, int in, int planes, int widthFactor, int count) {
        SequentialBlock s = new SequentialBlock();
        int channels = in;
        for (int b = 0; b < count; b++) {
            boolean first = b == 0;
            s.add(decoder ? decoder(kind, channels, planes, planes * widthFactor, first)
                    : encoder(kind, channels, planes, planes * widthFactor, first ? 2 : 1));
            channels = planes * kind.expansion();
        }
        return s;
    }

    /** @return {@code relu(main(x) + shortcut(x))} */
    public static Block residual(Block main, Block shortcut) {
        return new ParallelBlock(outs -> new NDList(Activation.relu(
                outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow()))), List.of(main, shortcut));
    }
}
