package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Random;

/**
 * A VQ-VAE codebook with exponential-moving-average updates (van den Oord et al. 2017; the variant DSR's
 * discrete latent model uses): {@code K} codes of dimension {@code E}. Quantizing maps every position of an
 * {@code N x E x H x W} feature map to its nearest code in Euclidean distance (ties to the lowest index) and
 * passes gradients straight through to the input.
 *
 * <p>The codes are not trained by gradients. While {@link #updating(boolean) updating} (the VQ training
 * stage), each training forward pass of {@code M} positions moves them: with decay {@code d}, cluster sizes
 * {@code n <- d n + (1 - d) counts}, Laplace-smoothed with {@code eps = 1e-5}, sums
 * {@code m <- d m + (1 - d) assigned-feature sums}, codes {@code m / n}. Then every code whose cluster size is
 * below {@link #deadSize(long, int) min(1, M / 2K)} is restarted at a feature of the batch (distinct features
 * when the batch has at least {@code K}), with cluster size 1 and sum equal to that feature: Jukebox's
 * recipe (Dhariwal et al. 2020, threshold 1 on the EMA count), with the threshold lowered when a batch has too
 * few positions for every code to be used once. From the initial state (cluster sizes and sums 0) the first
 * update therefore places every code that fewer than {@code 1 / (1 - d)} positions chose on a feature: the
 * codebook starts from data. Codes start N(0, 1) as in the official code (they are what an untrained model
 * quantizes with); the EMA sums start at 0, not N(0, 1) as in the official code, whose sums are only ever
 * loaded pretrained: N(0, 1) sums divided by a first cluster size of {@code (1 - d) count} would throw the
 * first used codes hundreds of units away from the data. The three arrays are parameters (saved with the
 * model) that never require gradients.
 */
final class VectorQuantizer extends AbstractBlock {
    /** EMA decay of the official model. */
    static final float DECAY = 0.99f;
    /** Laplace smoothing of the cluster sizes. */
    static final float EPS = 1e-5f;
    /** Cluster size below which a code is restarted while updating, given enough positions (Jukebox: 1). */
    static final float DEAD_SIZE = 1f;
    private final int codes;
    private final int dim;
    private final Parameter codebook;
    private final Parameter emaSums;
    private final Parameter clusterSizes;
    private final Random restarts;
    private boolean updating;

    /**
     * @param codes number of codes K
     * @param dim code dimension E
     * @param seed seeds the N(0, 1) initial codes
     */
    VectorQuantizer(int codes, int dim, long seed) {
        this.codes = codes;
        this.dim = dim;
        Random random = new Random(seed);
        this.restarts = new Random(seed ^ 0x5DEECE66DL);
        codebook = addParameter(Parameter.builder().setName("codebook").setType(Parameter.Type.OTHER)
                .optShape(new Shape(codes, dim)).optRequiresGrad(false).optInitializer(gaussian(random)).build());
        emaSums = addParameter(Parameter.builder().setName("ema_sums").setType(Parameter.Type.OTHER)
                .optShape(new Shape(codes, dim)).optRequiresGrad(false)
                .optInitializer((m, shape, type) -> m.zeros(shape, type)).build());
        clusterSizes = addParameter(Parameter.builder().setName("cluster_sizes").setType(Parameter.Type.OTHER)
                .optShape(new Shape(codes)).optRequiresGrad(false)
                .optInitializer((m, shape, type) -> m.zeros(shape, type)).build());
    }

    private static Initializer gaussian(Random random) {
        return (m, shape, type) -> {
            float[] v = new float[Math.toIntExact(shape.size())];
            synchronized (random) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
            }
            return m.create(v, shape).toType(type, false);
        };
    }

    /** @return number of codes */
    int codes() {
        return codes;
    }

    /** @return code dimension */
    int dim() {
        return dim;
    }

    /** @return the codebook parameter, K x E */
    Parameter codebook() {
        return codebook;
    }

    /** @return the EMA sums parameter, K x E */
    Parameter emaSums() {
        return emaSums;
    }

    /** @return the EMA cluster sizes parameter, K */
    Parameter clusterSizes() {
        return clusterSizes;
    }

    /** Turns the EMA codebook updates of training forward passes on or off (off by default). */
    void updating(boolean on) {
        this.updating = on;
    }

    /**
     * @param flat M x E features
     * @return M x K squared Euclidean distances to the codes ({@code |x|^2 + |e|^2 - 2 x.e})
     */
    NDArray distances(NDArray flat) {
        NDArray e = scoped(codebook, flat.getManager());
        return flat.square().sum(new int[] {1}, true).add(e.square().sum(new int[] {1}))
                .sub(flat.matMul(e.transpose()).mul(2));
    }

    /** @return {@code z} (N x E x H x W) as M x E rows, M = N H W, in N, H, W order */
    static NDArray rows(NDArray z) {
        return z.transpose(0, 2, 3, 1).reshape(-1, z.getShape().get(1));
    }

    /**
     * @param z N x E x H x W features
     * @return N x H x W indices (int64) of the nearest codes
     */
    NDArray indices(NDArray z) {
        Shape s = z.getShape();
        return distances(rows(z.stopGradient())).argMin(1).reshape(s.get(0), s.get(2), s.get(3));
    }

    /**
     * @param indices N x H x W code indices (int64)
     * @return N x E x H x W: the codes
     */
    NDArray lookup(NDArray indices) {
        NDArray e = scoped(codebook, indices.getManager());
        NDArray v = indices.getNDArrayInternal().embedding(indices, e, SparseFormat.DENSE).head();
        return v.transpose(0, 3, 1, 2);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray z = inputs.head();
        NDArray idx = indices(z);
        NDArray q = lookup(idx);
        if (training && updating) {
            update(rows(z.stopGradient()), idx.reshape(-1));
        }
        // Straight-through estimator: the value of q, the gradient of z.
        return new NDList(z.add(q.sub(z).stopGradient()));
    }

    /**
     * Results of operations on a parameter's array belong to the parameter's (long-lived) manager; a copy in the
     * caller's manager keeps every derived array there, so they are freed with the step or batch.
     */
    private static NDArray scoped(Parameter p, NDManager scope) {
        NDArray copy = p.getArray().duplicate();
        copy.attach(scope);
        return copy;
    }

    /**
     * @param positions feature positions in a batch
     * @param codes codebook size
     * @return the cluster size below which a code is restarted: 1 (Jukebox), or half the fair share
     *     {@code positions / codes} when that is smaller
     */
    static float deadSize(long positions, int codes) {
        return (float) Math.min(DEAD_SIZE, positions / (2.0 * codes));
    }

    private void update(NDArray flat, NDArray idx) {
        NDManager scope = flat.getManager();
        NDArray onehot = idx.oneHot(codes).toType(DataType.FLOAT32, false);
        NDArray sizes = scoped(clusterSizes, scope).mul(DECAY).add(onehot.sum(new int[] {0}).mul(1 - DECAY));
        NDArray total = sizes.sum();
        sizes = sizes.add(EPS).div(total.add(codes * EPS)).mul(total);
        NDArray sums = scoped(emaSums, scope).mul(DECAY).add(onehot.transpose().matMul(flat).mul(1 - DECAY));
        long rows = flat.getShape().get(0);
        // Dead codes restart at features of the batch (cluster size 1, sum = the feature).
        NDArray dead = sizes.lt(deadSize(rows, codes)).toType(DataType.FLOAT32, false);
        NDArray live = dead.neg().add(1);
        long[] pick = new long[codes * dim];
        int[] chosen = restartRows((int) rows);
        for (int k = 0; k < codes; k++) {
            java.util.Arrays.fill(pick, k * dim, (k + 1) * dim, chosen[k]);
        }
        NDArray fresh = flat.gather(scope.create(pick, new Shape(codes, dim)), 0);
        NDArray deadColumn = dead.expandDims(1);
        NDArray liveColumn = live.expandDims(1);
        // A dead code's size may be 0 (never used): divide by 1 there; its value is replaced anyway.
        NDArray book = sums.div(sizes.mul(live).add(dead).expandDims(1)).mul(liveColumn).add(fresh.mul(deadColumn));
        sums = sums.mul(liveColumn).add(fresh.mul(deadColumn));
        sizes = sizes.mul(live).add(dead);
        clusterSizes.getArray().intern(sizes);
        emaSums.getArray().intern(sums);
        codebook.getArray().intern(book);
    }

    /** @return a batch row per code: distinct rows when there are enough (partial shuffle), else drawn with repeats */
    private int[] restartRows(int rows) {
        int[] chosen = new int[codes];
        if (rows >= codes) {
            int[] perm = new int[rows];
            for (int i = 0; i < rows; i++) {
                perm[i] = i;
            }
            for (int k = 0; k < codes; k++) {
                int j = k + restarts.nextInt(rows - k);
                int t = perm[k];
                perm[k] = perm[j];
                perm[j] = t;
                chosen[k] = perm[k];
            }
        } else {
            for (int k = 0; k < codes; k++) {
                chosen[k] = restarts.nextInt(rows);
            }
        }
        return chosen;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public String toString() {
        return "VectorQuantizer(" + codes + " x " + dim + ")";
    }
}
