package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;
import java.util.ArrayList;
import java.util.List;

/**
 * The VQ-VAE residual stack of DSR's encoders and decoders: {@code layers} residual units
 * {@code x + conv1x1(relu(conv3x3(relu(x))))} (convolutions without bias, the 3x3 to {@code hidden} channels,
 * the 1x1 back to the input width), then a ReLU. Keeps the input shape.
 */
final class ResidualStack extends AbstractBlock {
    private final List<SequentialBlock> units = new ArrayList<>();
    private final List<Conv2d[]> convs = new ArrayList<>();

    /**
     * @param width input and output channels
     * @param hidden channels inside each unit
     * @param layers number of units
     */
    ResidualStack(int width, int hidden, int layers) {
        for (int i = 0; i < layers; i++) {
            Conv2d c3 = AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                    .setFilters(hidden).optBias(false));
            Conv2d c1 = AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(width)
                    .optBias(false));
            units.add(addChildBlock("unit" + i, new SequentialBlock().add(Activation.reluBlock()).add(c3)
                    .add(Activation.reluBlock()).add(c1)));
            convs.add(new Conv2d[] {c3, c1});
        }
    }

    /** @return per unit its 3x3 and 1x1 convolution (for checkpoint conversion) */
    List<Conv2d[]> convolutions() {
        return convs;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        for (SequentialBlock unit : units) {
            x = x.add(unit.forward(store, new NDList(x), training, params).head());
        }
        return new NDList(Activation.relu(x));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (SequentialBlock unit : units) {
            unit.initialize(manager, dataType, inputShapes[0]);
        }
    }
}
