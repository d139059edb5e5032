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
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;
import dev.anomalysdk.teacher.components.ResNetBlocks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

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
    /** Every layer in order (convolutions, batch norms, ReLUs, max-pools), for guided back-propagation. */
    private final List<Block> layers = new ArrayList<>();
    private final Set<Block> relus = Collections.newSetFromMap(new IdentityHashMap<>());
    /** For each tap, the index in {@link #trace} of its activation. */
    private final List<Integer> tapPositions = new ArrayList<>();

    private VggNetwork(int[][] widths, boolean batchNorm, boolean bias, List<Integer> taps) {
        super(VERSION);
        this.taps = List.copyOf(taps);
        int deepest = taps.stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (int b = 0; b < deepest; b++) {
            List<Block> blockLayers = new ArrayList<>();
            for (int i = 0; i < widths[b].length; i++) {
                blockLayers.add(AlignedConv2d.of(Conv2d.builder().setFilters(widths[b][i])
                        .setKernelShape(new Shape(3, 3))
                        .optPadding(new Shape(1, 1)).optBias(bias)));
                // The official cloner skips batch norm on the convolution just before each max-pool.
                if (batchNorm && i < widths[b].length - 1) {
                    blockLayers.add(ResNetBlocks.bn());
                }
                Block relu = Activation.reluBlock();
                relus.add(relu);
                blockLayers.add(relu);
            }
            blockLayers.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            SequentialBlock stage = new SequentialBlock();
            blockLayers.forEach(stage::add);
            stages.add(addChildBlock("block" + (b + 1), stage));
            layers.addAll(blockLayers);
            if (taps.contains(b + 1)) {
                tapPositions.add(layers.size());
            }
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

    /**
     * Runs the network layer by layer in inference mode, keeping every activation (call with autograd off).
     *
     * @param input NCHW input; the activations go to its manager
     * @return element 0 the input, element {@code k + 1} the output of layer {@code k}
     */
    List<NDArray> trace(NDArray input) {
        ParameterStore store = new ParameterStore(input.getManager(), false);
        List<NDArray> acts = new ArrayList<>(layers.size() + 1);
        acts.add(input);
        for (Block layer : layers) {
            acts.add(layer.forward(store, new NDList(acts.get(acts.size() - 1)), false).singletonOrThrow());
        }
        return acts;
    }

    /** @return for each tap (shallow to deep), the index of its activation in {@link #trace} */
    List<Integer> tapPositions() {
        return tapPositions;
    }

    /**
     * Guided back-propagation (Springenberg et al., 2015) of gradients given at the taps down to the input:
     * through convolutions, batch norms and max-pools the exact vector-Jacobian product (one small autograd
     * pass per layer, parameters frozen), through each ReLU only the positive part of the gradient, and
     * only where the ReLU's output is positive. DJL cannot override a ReLU's backward pass inside one
     * autograd graph, hence the layer-by-layer walk. Must not run inside another gradient collector.
     *
     * @param acts the activations from {@link #trace}
     * @param tapGradients gradients of the loss with respect to each tap's activation, shallow to deep
     * @return the guided gradient with respect to the input, in the input's manager
     */
    NDArray guidedBackward(List<NDArray> acts, List<NDArray> tapGradients) {
        NDArray input = acts.get(0);
        ParameterStore store = new ParameterStore(input.getManager(), false);
        NDArray g = null;
        for (int k = layers.size() - 1; k >= 0; k--) {
            int tap = tapPositions.indexOf(k + 1);
            if (tap >= 0) {
                g = g == null ? tapGradients.get(tap) : g.add(tapGradients.get(tap));
            }
            Block layer = layers.get(k);
            if (relus.contains(layer)) {
                g = g.maximum(0f).mul(acts.get(k + 1).gt(0f).toType(g.getDataType(), false));
                continue;
            }
            NDArray in = acts.get(k).stopGradient();
            in.setRequiresGradient(true);
            try (GradientCollector gc = input.getManager().getEngine().newGradientCollector()) {
                NDArray out = layer.forward(store, new NDList(in), false).singletonOrThrow();
                gc.backward(out.mul(g).sum());
            }
            g = in.getGradient();
        }
        return g;
    }
}
