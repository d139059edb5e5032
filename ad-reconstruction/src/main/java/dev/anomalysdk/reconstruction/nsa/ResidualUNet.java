package dev.anomalysdk.reconstruction.nsa;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small residual U-Net segmenter built from DJL blocks: an encoder of residual blocks (two 3x3
 * convolutions with batch normalization and a 1x1 projection shortcut when the width changes) separated by
 * 2x2 max pooling, a decoder that upsamples bilinearly, concatenates the encoder's features of the same
 * scale and applies a residual block, and a 1x1 convolution to one logit per pixel.
 *
 * <p>An optional stem (a learned {@code (s+2)x(s+2)} convolution with stride {@code s}, batch norm and ReLU)
 * first reduces the resolution by {@code s}; the logits are then upsampled bilinearly back to the input size.
 * With {@code s = 2} the network costs about a quarter, while the stem still sees every input pixel, so thin
 * structures leave a trace in its features.
 *
 * <p>With widths {@code 16, 32, 64, 128, 128} it has about 1.3 M parameters. The input's height and width
 * must be multiples of {@link #multiple()} ({@code s * 2^(levels - 1)}); the output has the input's size.
 * Fully convolutional: train on crops, infer on whole images.
 */
public final class ResidualUNet extends AbstractBlock {
    private static final byte VERSION = 1;
    /** PyTorch's bilinear interpolation mode code in DJL's {@code interpolation}. */
    private static final int BILINEAR = 1;

    private final int[] widths;
    private final int stemStride;
    private final Block stem;
    private final Block stemBn;
    private final List<ResidualBlock> encoder = new ArrayList<>();
    private final List<ResidualBlock> decoder = new ArrayList<>();
    private final Conv2d head;

    /**
     * @param stemStride 1 for no stem, else the stem's stride (2 or 4)
     * @param widths channel widths per level, finest first, at least two levels
     */
    public ResidualUNet(int stemStride, int... widths) {
        super(VERSION);
        if (stemStride != 1 && stemStride != 2 && stemStride != 4) {
            throw new IllegalArgumentException("Invalid stem stride: " + stemStride + " (1, 2 or 4)");
        }
        this.stemStride = stemStride;
        if (widths.length < 2) {
            throw new IllegalArgumentException("A U-Net needs at least two levels: " + Arrays.toString(widths));
        }
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("Invalid widths: " + Arrays.toString(widths));
            }
        }
        this.widths = widths.clone();
        if (stemStride > 1) {
            stem = addChildBlock("stem", AlignedConv2d.of(Conv2d.builder()
                    .setKernelShape(new Shape(stemStride + 2, stemStride + 2))
                    .optStride(new Shape(stemStride, stemStride)).optPadding(new Shape(1, 1)).setFilters(widths[0])
                    .optBias(false)));
            stemBn = addChildBlock("stem_bn", BatchNorm.builder().build());
        } else {
            stem = null;
            stemBn = null;
        }
        for (int i = 0; i < widths.length; i++) {
            encoder.add(addChildBlock("enc" + i, new ResidualBlock(widths[i])));
        }
        for (int i = widths.length - 2; i >= 0; i--) {
            decoder.add(addChildBlock("dec" + i, new ResidualBlock(widths[i])));
        }
        head = addChildBlock("head", AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(1)));
    }

    /** @return the channel widths per level */
    public int[] widths() {
        return widths.clone();
    }

    /** @return the factor the input's sides must be multiples of */
    public int multiple() {
        return stemStride << (widths.length - 1);
    }

    /** @return the stem's stride (1 = no stem) */
    public int stemStride() {
        return stemStride;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        NDArray x = input;
        if (stem != null) {
            x = stem.forward(ps, new NDList(x), training, params).singletonOrThrow();
            x = Activation.relu(stemBn.forward(ps, new NDList(x), training, params).singletonOrThrow());
        }
        List<NDArray> skips = new ArrayList<>();
        for (int i = 0; i < encoder.size(); i++) {
            if (i > 0) {
                x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
            }
            x = encoder.get(i).forward(ps, new NDList(x), training, params).singletonOrThrow();
            skips.add(x);
        }
        for (int k = 0; k < decoder.size(); k++) {
            NDArray skip = skips.get(skips.size() - 2 - k);
            NDArray up = x.getNDArrayInternal().interpolation(
                    new long[] {skip.getShape().get(2), skip.getShape().get(3)}, BILINEAR, false);
            x = NDArrays.concat(new NDList(up, skip), 1);
            x = decoder.get(k).forward(ps, new NDList(x), training, params).singletonOrThrow();
        }
        NDArray logits = head.forward(ps, new NDList(x), training, params).singletonOrThrow();
        if (stem != null) {
            logits = logits.getNDArrayInternal().interpolation(
                    new long[] {input.getShape().get(2), input.getShape().get(3)}, BILINEAR, false);
        }
        return new NDList(logits);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), 1, in.get(2), in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        long n = in.get(0);
        long h = in.get(2);
        long w = in.get(3);
        long channels = in.get(1);
        if (stem != null) {
            stem.initialize(manager, dataType, in);
            h /= stemStride;
            w /= stemStride;
            stemBn.initialize(manager, dataType, new Shape(n, widths[0], h, w));
            channels = widths[0];
        }
        long[] hs = new long[widths.length];
        long[] ws = new long[widths.length];
        for (int i = 0; i < widths.length; i++) {
            if (i > 0) {
                h /= 2;
                w /= 2;
            }
            hs[i] = h;
            ws[i] = w;
            encoder.get(i).initialize(manager, dataType, new Shape(n, channels, h, w));
            channels = widths[i];
        }
        for (int k = 0; k < decoder.size(); k++) {
            int level = widths.length - 2 - k;
            long c = channels + widths[level];
            decoder.get(k).initialize(manager, dataType, new Shape(n, c, hs[level], ws[level]));
            channels = widths[level];
        }
        head.initialize(manager, dataType, new Shape(n, channels, hs[0], ws[0]));
    }

    /** conv3x3-BN-ReLU-conv3x3-BN plus shortcut (1x1 conv + BN when the width changes), then ReLU. */
    static final class ResidualBlock extends AbstractBlock {
        private final int width;
        private final Block conv1;
        private final Block bn1;
        private final Block conv2;
        private final Block bn2;
        private Block projection;
        private Block projectionBn;

        ResidualBlock(int width) {
            super(VERSION);
            this.width = width;
            conv1 = addChildBlock("conv1", conv(width, 3));
            bn1 = addChildBlock("bn1", BatchNorm.builder().build());
            conv2 = addChildBlock("conv2", conv(width, 3));
            bn2 = addChildBlock("bn2", BatchNorm.builder().build());
            // Created eagerly so the parameter layout does not depend on the input: always a projection.
            projection = addChildBlock("proj", conv(width, 1));
            projectionBn = addChildBlock("proj_bn", BatchNorm.builder().build());
        }

        private static Conv2d conv(int filters, int kernel) {
            return AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(kernel, kernel)).setFilters(filters)
                    .optPadding(new Shape(kernel / 2, kernel / 2)).optBias(false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray y = conv1.forward(ps, new NDList(x), training, params).singletonOrThrow();
            y = Activation.relu(bn1.forward(ps, new NDList(y), training, params).singletonOrThrow());
            y = conv2.forward(ps, new NDList(y), training, params).singletonOrThrow();
            y = bn2.forward(ps, new NDList(y), training, params).singletonOrThrow();
            NDArray s = projection.forward(ps, new NDList(x), training, params).singletonOrThrow();
            s = projectionBn.forward(ps, new NDList(s), training, params).singletonOrThrow();
            return new NDList(Activation.relu(y.add(s)));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape in = inputShapes[0];
            return new Shape[] {new Shape(in.get(0), width, in.get(2), in.get(3))};
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape in = inputShapes[0];
            Shape out = new Shape(in.get(0), width, in.get(2), in.get(3));
            conv1.initialize(manager, dataType, in);
            bn1.initialize(manager, dataType, out);
            conv2.initialize(manager, dataType, out);
            bn2.initialize(manager, dataType, out);
            projection.initialize(manager, dataType, in);
            projectionBn.initialize(manager, dataType, out);
        }
    }
}
