package dev.anomalysdk.reconstruction.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
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
 * A convolutional encoder-decoder on NCHW images, the network shape shared by the reconstruction detectors:
 * DRAEM's reconstructive sub-network (no skip connections) and discriminative U-Net (skip connections), the
 * convolutional autoencoder and MemAE (a memory {@link #bottleneck} between encoder and decoder).
 *
 * <p>Level {@code i} of {@code widths.length} has {@code widths[i]} channels at {@code 1/2^i} of the input
 * resolution. Encoder level: two 3x3 convolutions, each followed by batch norm and ReLU, then 2x2 max pooling
 * before the next level. At the deepest level an optional bottleneck block transforms the features (it must
 * keep their shape; any further outputs it returns, e.g. MemAE's addressing entropy, are passed through after
 * the image output). Decoder level: bilinear upsampling by 2 (corners aligned), a 3x3 conv-BN-ReLU to the
 * level's width, concatenation with the encoder features of that level when {@code skips} is set, and two
 * 3x3 conv-BN-ReLU. Head: a 3x3 convolution to {@code outChannels}, optionally followed by a sigmoid. DSR's
 * networks use the same shape with {@link InstanceNorm} in place of batch norm ({@link Norm#INSTANCE}).
 *
 * <p>Input sides must be divisible by {@code 2^(levels - 1)}.
 */
public final class EncoderDecoder extends AbstractBlock {
    /** The normalization after each convolution. */
    public enum Norm {
        /** Batch norm (DRAEM, autoencoder, MemAE). */
        BATCH,
        /** Instance norm without affine parameters (DSR). */
        INSTANCE
    }

    private static final int BILINEAR = 1;
    private final int[] widths;
    private final boolean skips;
    private final boolean sigmoid;
    private final int outChannels;
    private final Norm norm;
    private final List<Block> encoders = new ArrayList<>();
    private final List<Block> ups = new ArrayList<>();
    private final List<Block> decoders = new ArrayList<>();
    private final Block bottleneck;
    private final Block head;

    /**
     * @param widths channels per level, from full resolution to the deepest; at least 2 levels
     * @param outChannels channels of the output
     * @param skips whether decoder levels see the encoder features of their level (U-Net)
     * @param sigmoid whether the output goes through a sigmoid (for [0, 1] images)
     * @param bottleneck a shape-preserving block applied at the deepest level, or {@code null}
     */
    public EncoderDecoder(int[] widths, int outChannels, boolean skips, boolean sigmoid, Block bottleneck) {
        this(widths, outChannels, skips, sigmoid, bottleneck, Norm.BATCH);
    }

    /**
     * @param widths channels per level, from full resolution to the deepest; at least 2 levels
     * @param outChannels channels of the output
     * @param skips whether decoder levels see the encoder features of their level (U-Net)
     * @param sigmoid whether the output goes through a sigmoid (for [0, 1] images)
     * @param bottleneck a shape-preserving block applied at the deepest level, or {@code null}
     * @param norm the normalization after each convolution
     */
    public EncoderDecoder(int[] widths, int outChannels, boolean skips, boolean sigmoid, Block bottleneck,
            Norm norm) {
        if (norm == null) {
            throw new IllegalArgumentException("norm is required");
        }
        if (widths.length < 2) {
            throw new IllegalArgumentException("An encoder-decoder needs at least 2 levels, got "
                    + Arrays.toString(widths));
        }
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("Invalid level widths: " + Arrays.toString(widths));
            }
        }
        this.widths = widths.clone();
        this.skips = skips;
        this.sigmoid = sigmoid;
        this.outChannels = outChannels;
        this.norm = norm;
        for (int i = 0; i < widths.length; i++) {
            encoders.add(addChildBlock("enc" + i, doubleConv(widths[i], norm)));
        }
        this.bottleneck = bottleneck == null ? null : addChildBlock("bottleneck", bottleneck);
        for (int i = widths.length - 2; i >= 0; i--) {
            ups.add(addChildBlock("up" + i, convNormRelu(widths[i], norm)));
            decoders.add(addChildBlock("dec" + i, doubleConv(widths[i], norm)));
        }
        this.head = addChildBlock("head", AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1)).setFilters(outChannels)));
    }

    /** @return DRAEM-style widths for a base width and level count: {@code b, 2b, 4b, 8b, 8b, ...} */
    public static int[] doublingWidths(int base, int levels) {
        int[] w = new int[levels];
        for (int i = 0; i < levels; i++) {
            w[i] = base * (1 << Math.min(i, 3));
        }
        return w;
    }

    /**
     * Checks the {@code image_size} key against a level count: each level halves the side.
     *
     * @param imageSize the configured input side
     * @param levels the resolution levels
     * @throws IllegalArgumentException naming the key when the side is not a multiple of {@code 2^(levels-1)}
     */
    public static void checkImageSize(int imageSize, int levels) {
        int multiple = 1 << (levels - 1);
        if (imageSize % multiple != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize + " (must be a multiple "
                    + "of " + multiple + " for " + levels + " levels)");
        }
    }

    /** @return the input side must be a multiple of this */
    public int sideMultiple() {
        return 1 << (widths.length - 1);
    }

    /** @return 3x3 convolution (padding 1), batch norm, ReLU */
    public static SequentialBlock convBnRelu(int filters) {
        return convNormRelu(filters, Norm.BATCH);
    }

    /** @return 3x3 convolution (padding 1), the given normalization, ReLU */
    public static SequentialBlock convNormRelu(int filters, Norm norm) {
        return new SequentialBlock()
                .add(AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(3, 3))
                        .optPadding(new Shape(1, 1)).setFilters(filters)))
                .add(norm == Norm.BATCH ? BatchNorm.builder().build() : new InstanceNorm())
                .add(Activation.reluBlock());
    }

    private static SequentialBlock doubleConv(int filters, Norm norm) {
        return new SequentialBlock().add(convNormRelu(filters, norm)).add(convNormRelu(filters, norm));
    }

    private static NDArray pool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    }

    private static NDArray upsample(NDArray x) {
        Shape s = x.getShape();
        return x.getNDArrayInternal().interpolation(new long[] {s.get(2) * 2, s.get(3) * 2}, BILINEAR, true);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        int levels = widths.length;
        NDArray[] features = new NDArray[levels];
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                x = pool(x);
            }
            x = encoders.get(i).forward(store, new NDList(x), training, params).head();
            features[i] = x;
        }
        NDList extras = new NDList();
        if (bottleneck != null) {
            NDList b = bottleneck.forward(store, new NDList(x), training, params);
            x = b.head();
            for (int k = 1; k < b.size(); k++) {
                extras.add(b.get(k));
            }
        }
        for (int k = 0; k < levels - 1; k++) {
            int level = levels - 2 - k;
            x = ups.get(k).forward(store, new NDList(upsample(x)), training, params).head();
            if (skips) {
                x = NDArrays.concat(new NDList(x, features[level]), 1);
            }
            x = decoders.get(k).forward(store, new NDList(x), training, params).head();
        }
        x = head.forward(store, new NDList(x), training, params).head();
        if (sigmoid) {
            x = Activation.sigmoid(x);
        }
        NDList out = new NDList(x);
        out.addAll(extras);
        return out;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        List<Shape> out = new ArrayList<>();
        out.add(new Shape(in.get(0), outChannels, in.get(2), in.get(3)));
        if (bottleneck != null) {
            Shape deep = new Shape(in.get(0), widths[widths.length - 1], in.get(2) / sideMultiple(),
                    in.get(3) / sideMultiple());
            Shape[] b = bottleneck.getOutputShapes(new Shape[] {deep});
            out.addAll(Arrays.asList(b).subList(1, b.length));
        }
        return out.toArray(new Shape[0]);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        if (in.get(2) % sideMultiple() != 0 || in.get(3) % sideMultiple() != 0) {
            throw new IllegalArgumentException("Input " + in.get(3) + "x" + in.get(2) + " is not a multiple of "
                    + sideMultiple() + " (" + widths.length + " levels)");
        }
        long n = in.get(0);
        long h = in.get(2);
        long w = in.get(3);
        long c = in.get(1);
        for (int i = 0; i < widths.length; i++) {
            if (i > 0) {
                h /= 2;
                w /= 2;
            }
            encoders.get(i).initialize(manager, dataType, new Shape(n, c, h, w));
            c = widths[i];
        }
        if (bottleneck != null) {
            bottleneck.initialize(manager, dataType, new Shape(n, c, h, w));
        }
        for (int k = 0; k < widths.length - 1; k++) {
            int level = widths.length - 2 - k;
            h *= 2;
            w *= 2;
            ups.get(k).initialize(manager, dataType, new Shape(n, c, h, w));
            c = widths[level] + (skips ? widths[level] : 0);
            decoders.get(k).initialize(manager, dataType, new Shape(n, c, h, w));
            c = widths[level];
        }
        head.initialize(manager, dataType, new Shape(n, c, h, w));
    }

    @Override
    public String toString() {
        return "EncoderDecoder" + Arrays.toString(widths) + (skips ? " with skips" : "")
                + (norm == Norm.INSTANCE ? ", instance norm" : "");
    }
}
