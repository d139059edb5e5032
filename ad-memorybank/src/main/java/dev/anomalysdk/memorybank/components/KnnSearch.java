package dev.anomalysdk.memorybank.components;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.DjlEnvironment;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Exact k-nearest-neighbour search under squared Euclidean distance against a {@link PatchMatrix} bank, as
 * FAISS {@code IndexFlatL2} computes it for PatchCore: {@code |q|^2 + |b|^2 - 2 q.b}, clamped at 0, with the
 * dot products from one GEMM per (query chunk, bank block). Memory is bounded by the chunk and block sizes;
 * no {@code queries x bank} matrix is held whole.
 *
 * <p>Banks up to {@link #DEFAULT_RESIDENT_BYTES} (as float32) are decoded once and kept resident (ND4J
 * off-heap memory, or device memory for {@link KernelBackend#DJL}); larger ones, e.g. a memory-mapped bank
 * bigger than RAM, are streamed block by block on every search. Float16 banks are decoded to float32 per
 * block. Ties go to the lower bank row on the ND4J backend.
 *
 * <p><b>Pruned search (ND4J, resident banks).</b> The bank's leading principal directions give a
 * {@link ProjectionBound}: a lower bound on every query-row distance from one GEMM in {@code rank}
 * dimensions (by default 1/8 of them). Each query measures exactly (in double precision) only the rows whose bound is below
 * the best distance found so far, starting from the rows with the smallest bounds. The result is the same
 * exact k-NN as the exhaustive search (up to float rounding of the distances); on patch features, whose
 * variance sits in few directions, well under 1 % of the rows survive. A query whose survivors exceed
 * 1/{@value #DENSE_FRACTION} of the bank (features without such structure) is searched exhaustively instead,
 * and after a search where most queries were such, the next {@value #EXHAUSTIVE_AFTER_DENSE} searches skip the
 * bound altogether. Either way the result is the exact k-NN.
 *
 * <p>Not thread-safe: use one instance per thread (they may share the bank). The pruned search spreads its
 * queries over the common fork-join pool.
 */
public final class KnnSearch implements AutoCloseable {
    /** Largest bank (float32 bytes) kept resident instead of streamed: 1 GiB. */
    public static final long DEFAULT_RESIDENT_BYTES = 1L << 30;
    /** Bank rows per GEMM block. */
    static final int BLOCK = 4096;
    /** Query rows per GEMM. */
    static final int QUERY_CHUNK = 1024;
    /** Most bound values held at once by the pruned search (64 MiB of floats). */
    private static final int BOUND_VALUES = 16 << 20;
    /** A query whose surviving rows exceed 1/DENSE_FRACTION of the bank is searched exhaustively. */
    static final int DENSE_FRACTION = 64;
    /** After a search where most queries were dense, this many searches skip the bound (then it is retried). */
    private static final int EXHAUSTIVE_AFTER_DENSE = 15;

    private final PatchMatrix bank;
    private final KernelBackend backend;
    private final float[] bankNorms;
    private final boolean resident;
    private final List<INDArray> nd4jBlocks = new ArrayList<>();
    private final NDManager djl;
    private final List<NDArray> djlBlocks = new ArrayList<>();
    private final List<NDArray> djlNorms = new ArrayList<>();
    private final List<FloatBuffer> residentRows = new ArrayList<>();
    private final ProjectionBound bound;
    private int exhaustiveSearchesLeft;

    /**
     * Nearest bank rows of each query, nearest first.
     *
     * @param queries number of queries
     * @param k neighbours per query
     * @param distances {@code queries x k} squared distances, row-major
     * @param indices {@code queries x k} bank rows, row-major
     */
    public record Result(int queries, int k, float[] distances, int[] indices) {
        /** @return the squared distance of query {@code q}'s {@code i}-th nearest bank row */
        public float distance(int q, int i) {
            return distances[q * k + i];
        }

        /** @return the bank row of query {@code q}'s {@code i}-th nearest neighbour */
        public int index(int q, int i) {
            return indices[q * k + i];
        }

        /** @return squared distance to the nearest bank row, per query */
        public float[] nearest() {
            float[] out = new float[queries];
            for (int q = 0; q < queries; q++) {
                out[q] = distances[q * k];
            }
            return out;
        }
    }

    /**
     * Prepares a search.
     *
     * @param bank the bank (not copied for streaming; must stay open)
     * @param backend where to compute
     * @param device the device for {@link KernelBackend#DJL} (ignored for ND4J)
     */
    public KnnSearch(PatchMatrix bank, KernelBackend backend, Device device) {
        this(bank, backend, device, DEFAULT_RESIDENT_BYTES);
    }

    /**
     * @param residentBytes banks up to this size (as float32) are decoded once and kept resident
     */
    public KnnSearch(PatchMatrix bank, KernelBackend backend, Device device, long residentBytes) {
        this(bank, backend, device, residentBytes, automaticBoundRank(bank));
    }

    /**
     * @param boundRank dimension of the {@link ProjectionBound} subspace for the pruned search, or 0 for the
     *     exhaustive search only; used on the ND4J backend with a resident bank
     */
    public KnnSearch(PatchMatrix bank, KernelBackend backend, Device device, long residentBytes, int boundRank) {
        if (boundRank < 0 || boundRank >= bank.dim() && boundRank != 0) {
            throw new IllegalArgumentException("Invalid bound rank " + boundRank + " for dimension " + bank.dim());
        }
        if (bank.rows() == 0) {
            throw new IllegalArgumentException("Empty memory bank");
        }
        this.bank = bank;
        this.backend = backend;
        this.bankNorms = bank.squaredNorms();
        this.resident = bank.rows() * bank.dim() * 4L <= residentBytes;
        if (backend == KernelBackend.DJL) {
            DjlEnvironment.init();
            this.djl = NDManager.newBaseManager(device == null ? Device.cpu() : device, "PyTorch");
        } else {
            this.djl = null;
        }
        if (resident) {
            for (long start = 0; start < bank.rows(); start += BLOCK) {
                int rows = (int) Math.min(BLOCK, bank.rows() - start);
                float[] buf = new float[rows * bank.dim()];
                bank.read(start, rows, buf, 0);
                if (backend == KernelBackend.DJL) {
                    djlBlocks.add(djl.create(buf, new Shape(rows, bank.dim())));
                    djlNorms.add(djl.create(Arrays.copyOfRange(bankNorms, (int) start, (int) start + rows)));
                } else {
                    INDArray block = Nd4jArrays.matrix(buf, 0, rows, bank.dim());
                    nd4jBlocks.add(block);
                    residentRows.add(block.data().asNioFloat());
                }
            }
        }
        boolean pruned = boundRank > 0 && resident && backend == KernelBackend.ND4J;
        this.bound = pruned ? new ProjectionBound(nd4jBlocks, (int) bank.rows(), bank.dim(), boundRank) : null;
    }

    /**
     * The subspace used by default: 1/8 of the dimensions (128 for PatchCore's 1024), for banks large enough
     * that the bound pays for itself (at least 2,048 rows of at least 64 dimensions); 0 otherwise.
     */
    public static int automaticBoundRank(PatchMatrix bank) {
        return bank.dim() >= 64 && bank.rows() >= 2048 ? Math.min(128, bank.dim() / 8) : 0;
    }

    /** @return whether searches use the {@link ProjectionBound} pruning */
    public boolean isPruned() {
        return bound != null;
    }

    /** @return the bank searched */
    public PatchMatrix bank() {
        return bank;
    }

    /** @return whether the bank is held decoded in memory rather than streamed */
    public boolean isResident() {
        return resident;
    }

    /**
     * Finds the {@code k} nearest bank rows of each query.
     *
     * @param queries row-major {@code count x dim} queries
     * @param count number of queries
     * @param k neighbours per query (at most the bank size)
     * @return distances and indices, nearest first
     */
    public Result search(float[] queries, int count, int k) {
        int dim = bank.dim();
        if (queries.length < (long) count * dim) {
            throw new IllegalArgumentException(count + " queries of dimension " + dim + " need " + (long) count * dim
                    + " values, got " + queries.length);
        }
        if (k < 1 || k > bank.rows()) {
            throw new IllegalArgumentException("Invalid k " + k + " for a bank of " + bank.rows() + " rows");
        }
        float[] dist = new float[count * k];
        int[] idx = new int[count * k];
        Arrays.fill(dist, Float.POSITIVE_INFINITY);
        Arrays.fill(idx, -1);
        if (bound != null && exhaustiveSearchesLeft == 0) {
            int chunk = (int) Math.max(1, Math.min(QUERY_CHUNK, BOUND_VALUES / bank.rows()));
            int dense = 0;
            for (int start = 0; start < count; start += chunk) {
                dense += searchPruned(queries, start, Math.min(chunk, count - start), k, dist, idx);
            }
            if (2 * dense > count) {
                exhaustiveSearchesLeft = EXHAUSTIVE_AFTER_DENSE;
            }
        } else {
            exhaustiveSearchesLeft = Math.max(0, exhaustiveSearchesLeft - 1);
            searchExhaustive(queries, count, k, dist, idx);
        }
        for (int i = 0; i < dist.length; i++) {
            dist[i] = Math.max(0f, dist[i]);
        }
        return new Result(count, k, dist, idx);
    }

    /** Every query against every bank row, one GEMM per (query chunk, bank block). */
    private void searchExhaustive(float[] queries, int count, int k, float[] dist, int[] idx) {
        int dim = bank.dim();
        for (int start = 0; start < count; start += QUERY_CHUNK) {
            int rows = Math.min(QUERY_CHUNK, count - start);
            float[] q = Arrays.copyOfRange(queries, start * dim, (start + rows) * dim);
            float[] qn = new float[rows];
            for (int i = 0; i < rows; i++) {
                double s = 0;
                for (int j = 0; j < dim; j++) {
                    s += (double) q[i * dim + j] * q[i * dim + j];
                }
                qn[i] = (float) s;
            }
            if (backend == KernelBackend.DJL) {
                searchDjl(q, qn, rows, k, dist, idx, start);
            } else {
                searchNd4j(q, qn, rows, k, dist, idx, start);
            }
        }
    }

    /**
     * Queries {@code [start, start + rows)} by bound pruning; dense queries go to the exhaustive search.
     *
     * @return the number of dense queries
     */
    private int searchPruned(float[] queries, int start, int rows, int k, float[] dist, int[] idx) {
        int dim = bank.dim();
        int n = (int) bank.rows();
        ProjectionBound.Queries pq;
        try (INDArray qa = Nd4jArrays.matrix(queries, start * dim, rows, dim)) {
            pq = bound.project(qa);
        }
        float[] bounds = bound.dots(pq);
        pq.projected().close();
        int cap = Math.max(k, n / DENSE_FRACTION);
        boolean[] dense = new boolean[rows];
        IntStream.range(0, rows).parallel().forEach(i -> {
            int[] seeds = bound.toBounds(pq, i, bounds, i * n, k);
            dense[i] = !searchOne(queries, (start + i) * dim, seeds, bounds, i * n, n, k, cap, dist, idx,
                    (start + i) * k);
        });
        int[] denseRows = IntStream.range(0, rows).filter(i -> dense[i]).toArray();
        if (denseRows.length > 0) {
            float[] q = new float[denseRows.length * dim];
            for (int t = 0; t < denseRows.length; t++) {
                System.arraycopy(queries, (start + denseRows[t]) * dim, q, t * dim, dim);
            }
            float[] d = new float[denseRows.length * k];
            int[] j = new int[denseRows.length * k];
            Arrays.fill(d, Float.POSITIVE_INFINITY);
            Arrays.fill(j, -1);
            searchExhaustive(q, denseRows.length, k, d, j);
            for (int t = 0; t < denseRows.length; t++) {
                System.arraycopy(d, t * k, dist, (start + denseRows[t]) * k, k);
                System.arraycopy(j, t * k, idx, (start + denseRows[t]) * k, k);
            }
        }
        return denseRows.length;
    }

    /**
     * One query by bound pruning: exact distances to the {@code seeds} (the rows with the smallest bounds)
     * set a radius; every other row whose bound is within the radius is measured, shrinking it.
     *
     * @return false (leaving the output untouched) when more than {@code cap} rows are within the first radius
     */
    private boolean searchOne(float[] queries, int q, int[] seeds, float[] bounds, int b, int n, int k, int cap,
            float[] dist, int[] idx, int out) {
        double[] best = new double[k];
        int[] rows = new int[k];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        Arrays.fill(rows, Integer.MAX_VALUE);
        float[] row = new float[bank.dim()];
        for (int r : seeds) {
            insertExact(best, rows, squaredDistance(queries, q, r, row), r);
            bounds[b + r] = Float.POSITIVE_INFINITY;
        }
        // Collect the rows within the first radius (a scan is cheap, an exact distance costs about 50
        // GEMM-row equivalents), then measure them while the radius shrinks.
        double radius = best[k - 1];
        int[] survivors = new int[cap];
        int count = 0;
        for (int j = 0; j < n; j++) {
            if (bounds[b + j] <= radius) {
                if (count == cap) {
                    return false;
                }
                survivors[count++] = j;
            }
        }
        for (int s = 0; s < count; s++) {
            int j = survivors[s];
            if (bounds[b + j] <= best[k - 1]) {
                insertExact(best, rows, squaredDistance(queries, q, j, row), j);
            }
        }
        for (int t = 0; t < k; t++) {
            dist[out + t] = (float) best[t];
            idx[out + t] = rows[t];
        }
        return true;
    }

    /** Inserts into the ascending run by (distance, row), so lower rows win ties whatever the visiting order. */
    private static void insertExact(double[] best, int[] rows, double d, int row) {
        int k = best.length;
        if (d > best[k - 1] || d == best[k - 1] && row > rows[k - 1]) {
            return;
        }
        int pos = k - 1;
        while (pos > 0 && (best[pos - 1] > d || best[pos - 1] == d && rows[pos - 1] > row)) {
            best[pos] = best[pos - 1];
            rows[pos] = rows[pos - 1];
            pos--;
        }
        best[pos] = d;
        rows[pos] = row;
    }

    /** {@code |q - b|^2} in double precision; {@code row} is scratch space for the bank row. */
    private double squaredDistance(float[] queries, int q, int bankRow, float[] row) {
        int dim = bank.dim();
        residentRows.get(bankRow / BLOCK).get(bankRow % BLOCK * dim, row, 0, dim);
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < dim; j += 4) {
            double d0 = queries[q + j] - row[j];
            double d1 = queries[q + j + 1] - row[j + 1];
            double d2 = queries[q + j + 2] - row[j + 2];
            double d3 = queries[q + j + 3] - row[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; j < dim; j++) {
            double d = queries[q + j] - row[j];
            s0 += d * d;
        }
        return s0 + s1 + s2 + s3;
    }

    private void searchNd4j(float[] q, float[] qn, int rows, int k, float[] dist, int[] idx, int offset) {
        int dim = bank.dim();
        INDArray qa = Nd4jArrays.matrix(q, 0, rows, dim);
        float[] buf = resident ? null : new float[BLOCK * dim];
        float[] scores = new float[rows * BLOCK];
        int blocks = (int) ((bank.rows() + BLOCK - 1) / BLOCK);
        for (int b = 0; b < blocks; b++) {
            long start = (long) b * BLOCK;
            int n = (int) Math.min(BLOCK, bank.rows() - start);
            INDArray block;
            if (resident) {
                block = nd4jBlocks.get(b);
            } else {
                bank.read(start, n, buf, 0);
                block = Nd4jArrays.matrix(buf, 0, n, dim);
            }
            INDArray prod = Nd4j.createUninitialized(org.nd4j.linalg.api.buffer.DataType.FLOAT, new long[] {rows, n}, 'c');
            Nd4j.gemm(qa, block, prod, false, true, 1.0, 0.0);
            FloatBuffer fb = prod.data().asNioFloat();
            fb.get(0, scores, 0, rows * n);
            for (int i = 0; i < rows; i++) {
                int o = i * n;
                float base = qn[i];
                int out = (offset + i) * k;
                if (k == 1) {
                    float best = dist[out];
                    int bestIdx = idx[out];
                    for (int j = 0; j < n; j++) {
                        float v = base + bankNorms[(int) start + j] - 2f * scores[o + j];
                        if (v < best) {
                            best = v;
                            bestIdx = (int) start + j;
                        }
                    }
                    dist[out] = best;
                    idx[out] = bestIdx;
                } else {
                    for (int j = 0; j < n; j++) {
                        float v = base + bankNorms[(int) start + j] - 2f * scores[o + j];
                        if (v < dist[out + k - 1]) {
                            insert(dist, idx, out, k, v, (int) start + j);
                        }
                    }
                }
            }
            if (!resident) {
                block.close();
            }
            prod.close();
        }
        qa.close();
    }

    /** Inserts into the sorted run {@code [out, out+k)}, after equal values (so lower rows win ties). */
    private static void insert(float[] dist, int[] idx, int out, int k, float v, int row) {
        int pos = out + k - 1;
        while (pos > out && dist[pos - 1] > v) {
            dist[pos] = dist[pos - 1];
            idx[pos] = idx[pos - 1];
            pos--;
        }
        dist[pos] = v;
        idx[pos] = row;
    }

    private void searchDjl(float[] q, float[] qn, int rows, int k, float[] dist, int[] idx, int offset) {
        int dim = bank.dim();
        int blocks = (int) ((bank.rows() + BLOCK - 1) / BLOCK);
        float[] buf = resident ? null : new float[BLOCK * dim];
        try (NDManager scope = djl.newSubManager()) {
            NDArray qa = scope.create(q, new Shape(rows, dim));
            NDArray qnorm = scope.create(qn, new Shape(rows, 1));
            for (int b = 0; b < blocks; b++) {
                try (NDManager step = scope.newSubManager()) {
                    qa.tempAttach(step);
                    qnorm.tempAttach(step);
                    searchDjlBlock(b, qa, qnorm, step, buf, rows, k, dist, idx, offset);
                }
            }
        }
    }

    private void searchDjlBlock(int b, NDArray qa, NDArray qnorm, NDManager scope, float[] buf, int rows, int k,
            float[] dist, int[] idx, int offset) {
        int dim = bank.dim();
        long start = (long) b * BLOCK;
        int n = (int) Math.min(BLOCK, bank.rows() - start);
        NDArray block;
        NDArray bn;
        if (resident) {
            block = djlBlocks.get(b);
            bn = djlNorms.get(b);
        } else {
            bank.read(start, n, buf, 0);
            block = scope.create(Arrays.copyOf(buf, n * dim), new Shape(n, dim));
            bn = scope.create(Arrays.copyOfRange(bankNorms, (int) start, (int) start + n));
        }
        int kk = Math.min(k, n);
        // Same formula as the ND4J path: |q|^2 + |b|^2 - 2 q.b
        NDArray d = qnorm.add(bn.reshape(1, n)).sub(qa.matMul(block.transpose()).mul(2f));
        float[] v;
        long[] j;
        if (kk == 1) {
            v = d.min(new int[] {1}).toFloatArray();
            j = d.argMin(1).toLongArray();
        } else {
            NDList top = d.topK(kk, 1, false, true);
            v = top.get(0).toFloatArray();
            j = top.get(1).toLongArray();
        }
        for (int i = 0; i < rows; i++) {
            int out = (offset + i) * k;
            for (int t = 0; t < kk; t++) {
                float value = v[i * kk + t];
                if (value < dist[out + k - 1]) {
                    insert(dist, idx, out, k, value, (int) (start + j[i * kk + t]));
                }
            }
        }
    }

    @Override
    public void close() {
        if (bound != null) {
            bound.close();
        }
        for (INDArray a : nd4jBlocks) {
            a.close();
        }
        nd4jBlocks.clear();
        if (djl != null) {
            djl.close();
        }
    }
}
