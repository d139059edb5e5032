package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import dev.anomalysdk.core.nn.AlignedConv2d;
import dev.anomalysdk.reconstruction.components.InstanceNorm;

/**
 * DSR's object-specific decoder (official {@code ImageReconstructionNetwork}): from the restored
 * {@code [up(Q_lo), Q_hi]} ({@code 2E} channels at 1/4 resolution) to an image. Two encoder blocks of
 * conv3x3-InstanceNorm-ReLU pairs ({@code 2E -> 2E -> 4E}, max-pool, {@code 4E -> 4E -> 8E}, max-pool), a 1x1
 * conv to {@link #BOTTLENECK} (64) channels at 1/16 resolution, two transposed convolutions (64 channels) each
 * followed by a ReLU, then the general decoder's layout: 3x3 conv to {@code h}, residual stack, transposed conv
 * to {@code h/2}, ReLU, transposed conv to 3 channels.
 */
final class ObjectDecoder extends SequentialBlock {
    /**
     * Channels of the 1/16-resolution bottleneck, fixed as in the official code whatever the other widths: it
     * carries everything the image is rebuilt from (at 256 px, 16 x 16 x 64 values for 256 x 256 x 3).
     */
    static final int BOTTLENECK = 64;

    /**
     * @param dim code dimension E
     * @param hidden width h of the VQ model
     * @param residualHidden hidden channels of the residual units
     * @param residualLayers residual units
     */
    ObjectDecoder(int dim, int hidden, int residualHidden, int residualLayers) {
        int in = 2 * dim;
        add(pair(in, 2 * in));
        add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        add(pair(2 * in, 4 * in));
        add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        add(conv(BOTTLENECK, 1, 0));
        add(new TransposedConv2d(BOTTLENECK)).add(Activation.reluBlock());
        add(new TransposedConv2d(BOTTLENECK)).add(Activation.reluBlock());
        add(conv(hidden, 3, 1));
        add(new ResidualStack(hidden, residualHidden, residualLayers));
        add(new TransposedConv2d(hidden / 2)).add(Activation.reluBlock());
        add(new TransposedConv2d(3));
    }

    private static Conv2d conv(int filters, int kernel, int padding) {
        return AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(padding, padding))
                .setFilters(filters));
    }

    private static SequentialBlock pair(int first, int second) {
        return new SequentialBlock().add(conv(first, 3, 1)).add(new InstanceNorm()).add(Activation.reluBlock())
                .add(conv(second, 3, 1)).add(new InstanceNorm()).add(Activation.reluBlock());
    }
}
