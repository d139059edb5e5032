package dev.anomalysdk.memorybank.padim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One multivariate Gaussian per feature-map position, fitted in a stream and queried by Mahalanobis
 * distance (PaDiM's model).
 *
 * <p>Fitting never holds the embeddings: {@link #accumulate} adds each batch to per-position sums and sums
 * of outer products, taken about a shift (the first batch's per-position mean) so that float32 sums do not
 * lose the covariance to cancellation. {@link #finish} turns them, in place and one chunk of positions at a
 * time, into float32 inverse covariances (precision matrices) of {@code cov + epsilon * I}, the covariance
 * being unbiased ({@code n - 1}). Positions are split into chunks of at most {@link #CHUNK_FLOATS} matrix
 * values, so no single native or Java allocation exceeds 64 MB besides the model itself, whose size is
 * {@code positions * dim * dim * 4} bytes.
 *
 * <p>All arrays live in the manager given to the constructor (CPU). Not thread-safe.
 */
final class PositionGaussians implements AutoCloseable {
    /** Most matrix values (floats) in one chunk of positions: 16 Mi floats = 64 MB. */
    static final long CHUNK_FLOATS = 1L << 24;

    private final NDManager manager;
    private final int positions;
    private final int dim;
    private final int chunkPositions;
    /** Per-position shift, {@code positions x 1 x dim}. */
    private NDArray shift;
    private NDArray sum;
    private final List<NDArray> matrices = new ArrayList<>();
    private long count;
    /** Per-position mean, {@code positions x 1 x dim} (broadcasts over the batch). */
    private NDArray mean;
    private boolean finished;

    /**
     * @param parent manager whose sub-manager owns the statistics
     * @param positions feature-map positions (H * W)
     * @param dim embedding dimension
     */
    PositionGaussians(NDManager parent, int positions, int dim) {
        this(parent, positions, dim, chunkPositions(dim));
    }

    /** As above, with an explicit number of positions per chunk (tests use small chunks). */
    PositionGaussians(NDManager parent, int positions, int dim, int chunkPositions) {
        if (positions < 1 || dim < 1) {
            throw new IllegalArgumentException("Invalid Gaussian grid: " + positions + " positions of dim " + dim);
        }
        this.manager = parent.newSubManager();
        this.positions = positions;
        this.dim = dim;
        this.chunkPositions = chunkPositions;
    }

    static int chunkPositions(int dim) {
        return (int) Math.max(1, CHUNK_FLOATS / ((long) dim * dim));
    }

    int positions() {
        return positions;
    }

    int dim() {
        return dim;
    }

    /** @return the number of embeddings accumulated per position */
    long count() {
        return count;
    }

    /**
     * Adds a batch of embeddings.
     *
     * @param embeddings float32 {@code positions x batch x dim}, on the CPU; temporaries go to its manager
     */
    void accumulate(NDArray embeddings) {
        if (finished) {
            throw new IllegalStateException("Gaussians already finished");
        }
        Shape s = embeddings.getShape();
        if (s.dimension() != 3 || s.get(0) != positions || s.get(2) != dim) {
            throw new IllegalArgumentException("Embeddings of shape " + s + " do not match " + positions
                    + " positions x batch x " + dim);
        }
        NDArray x = embeddings.toType(DataType.FLOAT32, false);
        if (shift == null) {
            shift = x.mean(new int[] {1}).expandDims(1);
            shift.attach(manager);
            sum = manager.zeros(new Shape(positions, dim), DataType.FLOAT32);
            for (int a = 0; a < positions; a += chunkPositions) {
                int n = Math.min(positions, a + chunkPositions) - a;
                matrices.add(manager.zeros(new Shape(n, dim, dim), DataType.FLOAT32));
            }
        }
        NDArray y = x.sub(shift);
        sum.addi(y.sum(new int[] {1}));
        for (int c = 0; c < matrices.size(); c++) {
            int a = c * chunkPositions;
            // Each chunk's temporaries are freed before the next: together they would be as large as the model.
            try (NDManager step = y.getManager().newSubManager()) {
                NDArray yc = y.get(new NDIndex(a + ":" + Math.min(positions, a + chunkPositions)));
                yc.attach(step);
                matrices.get(c).addi(yc.transpose(0, 2, 1).matMul(yc));
            }
        }
        count += s.get(1);
    }

    /**
     * Turns the sums into means and precision matrices of {@code covariance + epsilon * I}.
     *
     * @param epsilon ridge added to the covariance diagonal (PaDiM: 0.01)
     */
    void finish(double epsilon) {
        if (finished) {
            throw new IllegalStateException("Gaussians already finished");
        }
        if (count == 0) {
            throw new IllegalStateException("No embeddings accumulated");
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray eye = scope.eye(dim).toType(DataType.FLOAT64, false).mul(epsilon);
            NDArray meanShifted = sum.toType(DataType.FLOAT64, false).div(count);
            meanShifted.attach(scope);
            for (int c = 0; c < matrices.size(); c++) {
                int a = c * chunkPositions;
                // One sub-scope per chunk: the float64 temporaries of all chunks together would be several
                // times the model's size.
                try (NDManager step = scope.newSubManager()) {
                    NDArray m = meanShifted.get(new NDIndex(a + ":" + Math.min(positions, a + chunkPositions)));
                    m.attach(step);
                    NDArray outer = m.expandDims(2).matMul(m.expandDims(1)).mul(count);
                    NDArray sums = matrices.get(c);
                    sums.attach(step); // freed with the step; ops on it allocate in the step
                    NDArray cov = sums.toType(DataType.FLOAT64, false).sub(outer)
                            .div(Math.max(1, count - 1)).add(eye);
                    // Symmetrize against round-off, then invert in double precision.
                    cov = cov.add(cov.transpose(0, 2, 1)).div(2);
                    // The inverse may come back with column-major strides; store it as a plain row-major copy,
                    // exactly what loading a saved model creates, so fitted and loaded models score identically.
                    NDArray inverse = cov.inverse().toType(DataType.FLOAT32, false);
                    NDArray precision = manager.create(inverse.toFloatArray(), inverse.getShape());
                    matrices.set(c, precision);
                }
            }
            shift.attach(scope);
            sum.attach(scope);
            NDArray m = shift.add(meanShifted.toType(DataType.FLOAT32, false).expandDims(1));
            mean = manager.create(m.toFloatArray(), m.getShape());
        }
        shift = null;
        sum = null;
        finished = true;
    }

    /**
     * Mahalanobis distances {@code sqrt((x - mean)^T precision (x - mean))} at every position.
     *
     * @param embeddings float32 {@code positions x batch x dim}, on the CPU
     * @return {@code [batch][positions]} distances
     */
    float[][] distances(NDArray embeddings) {
        if (!finished) {
            throw new IllegalStateException("Gaussians not fitted");
        }
        Shape s = embeddings.getShape();
        if (s.dimension() != 3 || s.get(0) != positions || s.get(2) != dim) {
            throw new IllegalArgumentException("Embeddings of shape " + s + " do not match " + positions
                    + " positions x batch x " + dim);
        }
        int batch = (int) s.get(1);
        try (NDManager scope = embeddings.getManager().newSubManager()) {
            embeddings.tempAttach(scope);
            NDArray delta = embeddings.toType(DataType.FLOAT32, false).sub(mean);
            NDList parts = new NDList();
            for (int c = 0; c < matrices.size(); c++) {
                int a = c * chunkPositions;
                NDArray dc = delta.get(new NDIndex(a + ":" + Math.min(positions, a + chunkPositions)));
                parts.add(dc.matMul(matrices.get(c)).mul(dc).sum(new int[] {2}));
            }
            NDArray squared = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
            float[] flat = squared.maximum(0f).sqrt().transpose(1, 0).toFloatArray();
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                out[b] = Arrays.copyOfRange(flat, b * positions, (b + 1) * positions);
            }
            return out;
        }
    }

    /** @return the means, {@code positions x dim} row-major (for tests and inspection) */
    float[] means() {
        return mean.toFloatArray();
    }

    /** @return the precision matrix of one position, {@code dim x dim} row-major */
    float[] precision(int position) {
        int c = position / chunkPositions;
        try (NDManager scope = manager.newSubManager()) {
            return matrices.get(c).get(scope, new NDIndex(position - c * chunkPositions)).toFloatArray();
        }
    }

    /** Writes {@code <prefix>mean} and {@code <prefix>precision_<chunk>} tensors and the layout fields. */
    void save(ModelWriter writer, String prefix, com.fasterxml.jackson.databind.node.ObjectNode state)
            throws IOException {
        state.put("positions", positions);
        state.put("dim", dim);
        state.put("chunk_positions", chunkPositions);
        state.put("chunks", matrices.size());
        state.put("count", count);
        writer.putTensor(prefix + "mean", mean.toFloatArray(), positions, dim);
        for (int c = 0; c < matrices.size(); c++) {
            NDArray m = matrices.get(c);
            writer.putTensor(prefix + "precision_" + c, m.toFloatArray(), m.getShape().getShape());
        }
    }

    /** Reads what {@link #save} wrote. */
    static PositionGaussians load(NDManager parent, ModelReader reader, String prefix,
            com.fasterxml.jackson.databind.JsonNode state) throws IOException {
        int positions = state.path("positions").asInt();
        int dim = state.path("dim").asInt();
        int chunk = state.path("chunk_positions").asInt();
        int chunks = state.path("chunks").asInt();
        if (positions < 1 || dim < 1 || chunk < 1 || chunks != (positions + chunk - 1) / chunk) {
            throw new IOException("Model " + reader.directory() + " has an invalid Gaussian layout: " + positions
                    + " positions, dim " + dim + ", " + chunks + " chunks of " + chunk);
        }
        PositionGaussians g = new PositionGaussians(parent, positions, dim, chunk);
        try {
            Npy.Array mean = reader.tensor(prefix + "mean");
            check(mean, reader, prefix + "mean", positions, dim);
            g.mean = g.manager.create(mean.data(), new Shape(positions, 1, dim));
            for (int c = 0; c < chunks; c++) {
                int n = Math.min(positions, (c + 1) * chunk) - c * chunk;
                Npy.Array p = reader.tensor(prefix + "precision_" + c);
                check(p, reader, prefix + "precision_" + c, n, dim, dim);
                g.matrices.add(g.manager.create(p.data(), new Shape(n, dim, dim)));
            }
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
        g.count = state.path("count").asLong();
        g.finished = true;
        return g;
    }

    private static void check(Npy.Array a, ModelReader reader, String name, long... shape) throws IOException {
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IOException("Tensor " + reader.directory() + "/" + name + " has shape "
                    + Arrays.toString(a.shape()) + ", expected " + Arrays.toString(shape));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
