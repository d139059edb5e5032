package dev.anomalysdk.reconstruction.memae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * MemAE's memory (Gong et al., "Memorizing Normality to Detect Anomaly", ICCV 2019): {@code N} learned
 * prototype vectors of the encoder's channel dimension {@code C}. Each feature vector {@code z} (one per
 * position of an {@code N x C x H x W} map) is replaced by a combination of memory items:
 * <pre>
 *   w_i  = softmax_i( cos(z, m_i) )                                   attention addressing
 *   w'_i = relu(w_i - lambda) * w_i / (|w_i - lambda| + eps)          hard shrinkage (lambda = 1/N by default)
 *   w'   = w' / ||w'||_1                                              re-normalization
 *   z'   = sum_i w'_i m_i
 * </pre>
 * Outputs: {@code [z' (same shape as z), mean addressing entropy sum_i -w'_i log w'_i (a scalar)]}; the
 * entropy is added to the loss to make addressing sparse.
 */
final class MemoryModule extends AbstractBlock {
    static final float EPS = 1e-12f;
    private final int slots;
    private final int dim;
    private final float shrink;
    private final Parameter memory;

    /**
     * @param slots memory items N
     * @param dim feature channels C
     * @param shrink the hard-shrinkage threshold lambda, or 0 for none
     */
    MemoryModule(int slots, int dim, double shrink) {
        this.slots = slots;
        this.dim = dim;
        this.shrink = (float) shrink;
        this.memory = addParameter(Parameter.builder().setName("memory").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(slots, dim)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray z = inputs.head();
        Shape s = z.getShape();
        NDArray m = store.getValue(memory, z.getDevice(), training);
        NDArray q = z.transpose(0, 2, 3, 1).reshape(-1, dim);
        NDArray qn = q.div(q.norm(new int[] {1}, true).add(EPS));
        // Results of operations on the parameter belong to the parameter's long-lived manager: move them to the
        // call's scope, or every prediction leaves them behind.
        NDArray norms = m.norm(new int[] {1}, true);
        norms.attach(z.getManager());
        NDArray mn = m.div(norms.add(EPS));
        mn.attach(z.getManager());
        NDArray w = qn.matMul(mn.transpose()).softmax(1);
        if (shrink > 0) {
            NDArray shifted = w.sub(shrink);
            w = Activation.relu(shifted).mul(w).div(shifted.abs().add(EPS));
            w = w.div(w.abs().sum(new int[] {1}, true).add(EPS));
        }
        NDArray entropy = w.mul(w.add(EPS).log()).sum(new int[] {1}).neg().mean();
        NDArray out = w.matMul(m).reshape(s.get(0), s.get(2), s.get(3), dim).transpose(0, 3, 1, 2);
        return new NDList(out, entropy);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0], new Shape()};
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        if (inputShapes[0].get(1) != dim) {
            throw new IllegalArgumentException("Memory of dimension " + dim + " given " + inputShapes[0].get(1)
                    + " channels");
        }
    }

    @Override
    public String toString() {
        return "MemoryModule(" + slots + " x " + dim + ", shrink " + shrink + ")";
    }
}
