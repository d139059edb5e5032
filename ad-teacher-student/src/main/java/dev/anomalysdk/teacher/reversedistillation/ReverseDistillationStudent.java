package dev.anomalysdk.teacher.reversedistillation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.teacher.components.ResNetBlocks;

/**
 * The trainable part of Reverse Distillation: the one-class bottleneck (multi-scale feature fusion and a
 * one-class embedding stage) followed by the student decoder.
 *
 * <p>Input: the teacher's {@code layer1, layer2, layer3} maps ({@code c, 2c, 4c} channels at strides 4, 8,
 * 16). Fusion brings {@code layer1} down with two strided 3x3 conv-BN-ReLU steps ({@code c -> 2c -> 4c}) and
 * {@code layer2} with one ({@code 2c -> 4c}), concatenates both with {@code layer3} ({@code 12c} channels at
 * stride 16), and the embedding stage (residual blocks, the first strided, with a 1x1 projection shortcut)
 * compresses that to {@code 8c} channels at stride 32. The official code calls these blocks attention
 * bottlenecks, but their attention is disabled there; they compute as plain residual blocks, as here.
 *
 * <p>The decoder mirrors the teacher: three stages of decoder residual blocks, each first block doubling
 * the resolution with a 2x2 transposed convolution, producing {@code 4c, 2c, c} channels at strides 16, 8, 4.
 * Output: those maps ordered like the teacher's ({@code layer1}-shaped first).
 *
 * <p>Input sides must be multiples of 32 pixels (strides up to 32 must divide the image).
 */
public final class ReverseDistillationStudent extends AbstractBlock {
    private static final byte VERSION = 1;
    private final StudentLayout layout;
    private final Block fuse1;
    private final Block fuse2;
    private final Block embedding;
    private final Block[] decoders = new Block[3];

    /** @param layout the student's shape, derived from the teacher */
    public ReverseDistillationStudent(StudentLayout layout) {
        super(VERSION);
        this.layout = layout;
        int c = layout.channels();
        int e = layout.kind().expansion();
        int wf = layout.widthFactor();
        ResNetBlocks.Kind kind = layout.kind();
        fuse1 = addChildBlock("fuse_layer1", new SequentialBlock()
                .add(ResNetBlocks.convBnRelu(2 * c, 3, 2, 1)).add(ResNetBlocks.convBnRelu(4 * c, 3, 2, 1)));
        fuse2 = addChildBlock("fuse_layer2", ResNetBlocks.convBnRelu(4 * c, 3, 2, 1));
        embedding = addChildBlock("embedding",
                ResNetBlocks.stage(false, kind, 12 * c, 8 * c / e, wf, layout.embeddingBlocks()));
        // Deepest first: 8c -> 4c (layer3 shape), 4c -> 2c (layer2), 2c -> c (layer1).
        decoders[2] = addChildBlock("decoder_layer3",
                ResNetBlocks.stage(true, kind, 8 * c, 4 * c / e, wf, layout.decoderBlocks(2)));
        decoders[1] = addChildBlock("decoder_layer2",
                ResNetBlocks.stage(true, kind, 4 * c, 2 * c / e, wf, layout.decoderBlocks(1)));
        decoders[0] = addChildBlock("decoder_layer1",
                ResNetBlocks.stage(true, kind, 2 * c, c / e, wf, layout.decoderBlocks(0)));
    }

    /** @return the layout this student was built for */
    public StudentLayout layout() {
        return layout;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (inputs.size() != 3) {
            throw new IllegalArgumentException("Reverse Distillation student needs 3 teacher maps, got "
                    + inputs.size());
        }
        NDArray a = fuse1.forward(store, new NDList(inputs.get(0)), training, params).singletonOrThrow();
        NDArray b = fuse2.forward(store, new NDList(inputs.get(1)), training, params).singletonOrThrow();
        NDArray fused = NDArrays.concat(new NDList(a, b, inputs.get(2)), 1);
        NDList x = embedding.forward(store, new NDList(fused), training, params);
        NDArray[] out = new NDArray[3];
        for (int s = 2; s >= 0; s--) {
            x = decoders[s].forward(store, x, training, params);
            out[s] = x.singletonOrThrow();
        }
        return new NDList(out);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        checkShapes(inputShapes);
        fuse1.initialize(manager, dataType, inputShapes[0]);
        fuse2.initialize(manager, dataType, inputShapes[1]);
        Shape fused = fusedShape(inputShapes);
        embedding.initialize(manager, dataType, fused);
        Shape[] x = embedding.getOutputShapes(new Shape[] {fused});
        for (int s = 2; s >= 0; s--) {
            decoders[s].initialize(manager, dataType, x);
            x = decoders[s].getOutputShapes(x);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        checkShapes(inputShapes);
        Shape[] x = embedding.getOutputShapes(new Shape[] {fusedShape(inputShapes)});
        Shape[] out = new Shape[3];
        for (int s = 2; s >= 0; s--) {
            x = decoders[s].getOutputShapes(x);
            out[s] = x[0];
        }
        return out;
    }

    private Shape fusedShape(Shape[] in) {
        Shape a = fuse1.getOutputShapes(new Shape[] {in[0]})[0];
        Shape b = fuse2.getOutputShapes(new Shape[] {in[1]})[0];
        Shape c = in[2];
        if (a.get(2) != c.get(2) || a.get(3) != c.get(3) || b.get(2) != c.get(2) || b.get(3) != c.get(3)) {
            throw new IllegalArgumentException("Teacher maps " + in[0] + ", " + in[1] + ", " + in[2]
                    + " do not fuse to one grid; the image side must be a multiple of 32");
        }
        return new Shape(c.get(0), a.get(1) + b.get(1) + c.get(1), c.get(2), c.get(3));
    }

    private void checkShapes(Shape[] in) {
        int c = layout.channels();
        if (in.length != 3 || in[0].get(1) != c || in[1].get(1) != 2L * c || in[2].get(1) != 4L * c) {
            throw new IllegalArgumentException("Reverse Distillation student for " + c + "/" + 2 * c + "/" + 4 * c
                    + " channels got input shapes " + java.util.Arrays.toString(in));
        }
        for (Shape s : in) {
            if (s.get(2) % 2 != 0 || s.get(3) % 2 != 0) {
                throw new IllegalArgumentException("Teacher map " + s + " has an odd side; the image side must be "
                        + "a multiple of 32");
            }
        }
    }
}
