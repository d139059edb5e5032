package dev.anomalysdk.teacher.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.teacher.ResNetBlocks;
import java.util.ArrayList;
import java.util.List;

/**
 * A VGG-style feature stack as DJL blocks: five blocks of 3x3 convolutions (padding 1) with ReLU, each
 * block ended by a 2x2 max-pool of stride 2; the output is the pooled map of chosen blocks (1-based),
 * shallow to deep. Computation stops after the deepest chosen block.
 *
 * <p>Two variants serve MKD: the source, torchvision's VGG-16 feature layout (2, 2, 3, 3, 3 convolutions
 * with biases, no batch normalization; widths {@code w, 2w, 4w, 8w, 8w}, {@code w = 64} for the real
 * network), and the smaller cloner of the official code (its {@code cfg 'B'}: the same convolution counts,
 * no biases, every convolution but the last of a block followed by batch normalization, every convolution
 * but the last of a block {@code innerWidth} wide, the last of block 1 also {@code innerWidth} and the last
 * of blocks 2-5 as wide as the source's block so their outputs can be compared).
 */
final class VggNetwork extends AbstractBlock {
    private static final byte VERSION = 1;
    /** Convolutions per block in VGG-16. */
    static final int[] CONVS_PER_BLOCK = {2, 2, 3, 3, 3};
    private final List<Block> stages = new ArrayList<>();
    private final List<Integer> taps;

    private VggNetwork(int[][] widths, boolean batchNorm, boolean bias, List<Integer> taps) {
        super(VERSION);
        this.taps = List.copyOf(taps);
        int deepest = taps.stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (int b = 0; b < deepest; b++) {
            SequentialBlock stage = new SequentialBlock();
            for (int i = 0; i < widths[b].length; i++) {
                stage.add(Conv2d.builder().setFilters(widths[b][i]).setKernelShape(new Shape(3, 3))
                        .optPadding(new Shape(1, 1)).optBias(bias).build());
                // The official cloner skips batch norm on the convolution just before each max-pool.
                if (batchNorm && i < widths[b].length - 1) {
                    stage.add(ResNetBlocks.bn());
                }
                stage.add(Activation::relu);
            }
            stage.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            stages.add(addChildBlock("block" + (b + 1), stage));
        }
    }

    /**
     * @param baseWidth channels of block 1 (64 for VGG-16)
     * @param block 1-based block index
     * @return channels of that block of a VGG-16 with this base width
     */
    static int sourceChannels(int baseWidth, int block) {
        return baseWidth * Math.min(1 << (block - 1), 8);
    }

    /**
     * @param baseWidth channels of block 1 (64 for torchvision's VGG-16)
     * @param taps 1-based blocks whose pooled outputs are returned, ascending
     * @return a VGG-16 feature stack (biases, no batch norm)
     */
    static VggNetwork source(int baseWidth, List<Integer> taps) {
        int[][] widths = new int[CONVS_PER_BLOCK.length][];
        for (int b = 0; b < widths.length; b++) {
            widths[b] = new int[CONVS_PER_BLOCK[b]];
            java.util.Arrays.fill(widths[b], sourceChannels(baseWidth, b + 1));
        }
        return new VggNetwork(widths, false, true, taps);
    }

    /**
     * @param innerWidth width of the convolutions inside each block (16 in the official code)
     * @param sourceBaseWidth the source's block-1 width; blocks 2-5 end as wide as the source's
     * @param taps 1-based blocks whose pooled outputs are returned, ascending
     * @return the official code's small cloner (no biases, batch norm inside blocks)
     */
    static VggNetwork cloner(int innerWidth, int sourceBaseWidth, List<Integer> taps) {
        int[][] widths = new int[CONVS_PER_BLOCK.length][];
        for (int b = 0; b < widths.length; b++) {
            widths[b] = new int[CONVS_PER_BLOCK[b]];
            java.util.Arrays.fill(widths[b], innerWidth);
            widths[b][widths[b].length - 1] = b == 0 ? innerWidth : sourceChannels(sourceBaseWidth, b + 1);
        }
        return new VggNetwork(widths, true, false, taps);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList x = inputs;
        NDList out = new NDList();
        for (int b = 0; b < stages.size(); b++) {
            x = stages.get(b).forward(store, x, training, params);
            if (taps.contains(b + 1)) {
                out.add(x.singletonOrThrow());
            }
        }
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] x = inputShapes;
        for (Block stage : stages) {
            stage.initialize(manager, dataType, x);
            x = stage.getOutputShapes(x);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] x = inputShapes;
        List<Shape> out = new ArrayList<>();
        for (int b = 0; b < stages.size(); b++) {
            x = stages.get(b).getOutputShapes(x);
            if (taps.contains(b + 1)) {
                out.add(x[0]);
            }
        }
        return out.toArray(new Shape[0]);
    }

    /** @return {@code forward} in inference mode with parameters used in place */
    NDList features(NDArray input) {
        return forward(new ParameterStore(input.getManager(), false), new NDList(input), false);
    }
}
