package dev.anomalysdk.memorybank.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ProgressListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approximate greedy k-center coreset selection, as in PatchCore's official
 * {@code ApproximateGreedyCoresetSampler}: rows are randomly projected to {@code projectionDim} dimensions
 * by a bias-free linear map with PyTorch's default {@code nn.Linear} initialization (Kaiming-uniform, i.e.
 * uniform in {@code ±1/sqrt(D)}); every row's distance to the coreset starts as its mean Euclidean distance
 * to {@code startingPoints} random rows; then, repeatedly, the row farthest from the coreset joins it and
 * every row's distance is lowered to its distance to the new member. {@code floor(n * fraction)} rows are
 * chosen (at least one). No {@code n x n} matrix is ever formed.
 *
 * <p>Exactness across backends: the projection runs once, on ND4J, and is quantized to integers small
 * enough that squared distances are exact in 32-bit arithmetic (12 bits per value for 128 dimensions: far
 * finer than the distortion of the random projection itself). The greedy iterations then compute exact
 * integer distances, on either backend, so both select the same rows for the same seed, in the same order;
 * ties go to the lowest row index.
 *
 * <p>Cost: one GEMM for the projection, then per selected row one pass over the {@code n x projectionDim}
 * projected matrix (bandwidth bound). The CPU loop fuses distance, minimum and arg-max in a single pass over
 * a compact tiled {@code int} layout, split over {@link Options#threads()} threads.
 */
public final class CoresetSampler {
    private static final Logger LOG = LoggerFactory.getLogger(CoresetSampler.class);
    /** Rows per tile of the projected matrix (dimension-major inside a tile, so the CPU loop vectorizes). */
    static final int TILE = 64;
    private static final int PROJECTION_BLOCK = 8192;

    private CoresetSampler() {}

    /**
     * Sampling settings.
     *
     * @param fraction share of rows to keep, in (0, 1]
     * @param projectionDim dimensions of the random projection (official: 128); rows already of this
     *     dimension are not projected
     * @param startingPoints random rows whose mean distance initializes the coreset distances (official: 10)
     * @param seed seed of the projection and the starting points
     * @param threads CPU threads of the greedy loop (ND4J backend)
     */
    public record Options(double fraction, int projectionDim, int startingPoints, long seed, int threads) {
        /** Validates the settings. */
        public Options {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("Invalid coreset fraction " + fraction + " (must be in (0, 1])");
            }
            if (projectionDim < 1 || projectionDim > 4096) {
                throw new IllegalArgumentException("Invalid projection dimension " + projectionDim);
            }
            if (startingPoints < 1) {
                throw new IllegalArgumentException("Invalid number of starting points " + startingPoints);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("Invalid number of threads " + threads);
            }
        }

        /** @return the official defaults (128 dimensions, 10 starting points) with the given fraction and seed */
        public static Options of(double fraction, long seed) {
            return new Options(fraction, 128, 10, seed, Math.min(2, Runtime.getRuntime().availableProcessors()));
        }
    }

    /** @return how many rows a coreset of {@code fraction} of {@code n} rows has: {@code max(1, floor(n*fraction))} */
    public static int sampleCount(long n, double fraction) {
        return (int) Math.max(1, Math.min(n, (long) Math.floor(n * fraction)));
    }

    /**
     * Selects a coreset.
     *
     * @param features the rows to choose from
     * @param options settings
     * @param backend where the greedy loop runs
     * @param device the device for {@link KernelBackend#DJL} (ignored for ND4J)
     * @param progress receives {@code "coreset"} progress, one unit per selected row
     * @return indices of the chosen rows, in selection order (fewer than requested only if the remaining rows
     *     all duplicate chosen ones)
     */
    public static int[] select(PatchMatrix features, Options options, KernelBackend backend, Device device,
            ProgressListener progress) {
        long n = features.rows();
        if (n == 0) {
            throw new IllegalArgumentException("Cannot select a coreset from an empty feature matrix");
        }
        int count = sampleCount(n, options.fraction());
        if (count >= n) {
            int[] all = new int[(int) n];
            Arrays.setAll(all, i -> i);
            return all;
        }
        long t0 = System.nanoTime();
        Projected p = project(features, options);
        long t1 = System.nanoTime();
        int[] minDist = p.startDistances(options.startingPoints(), new SplittableRandom(options.seed() ^ 0x5DEECE66DL));
        int[] chosen = backend == KernelBackend.DJL
                ? greedyDjl(p, minDist, count, device == null ? Device.cpu() : device, progress)
                : greedyCpu(p, minDist, count, options.threads(), progress);
        long t2 = System.nanoTime();
        LOG.debug("coreset: {} of {} rows; projection {} s, greedy loop {} s ({})", chosen.length, n,
                String.format("%.2f", (t1 - t0) / 1e9), String.format("%.2f", (t2 - t1) / 1e9), backend);
        return chosen;
    }

    /**
     * Projected, quantized rows in tiles of {@link #TILE} rows, dimension-major inside each tile. Rows are
     * stored in a locality order (leaves of a k-d split), so that each tile is compact and has a small
     * bounding ball: the greedy loop skips every tile that the ball proves cannot change.
     */
    static final class Projected {
        final int n;
        final int dim;
        final int[][] tiles;
        /** Original row of each storage slot. */
        final int[] order;
        /** Storage slot of each original row. */
        final int[] slot;
        /** Per tile: centre of its rows and largest distance of a row from it. */
        final double[][] centres;
        final double[] radius;

        Projected(int n, int dim, int[] rowMajor, int[] order) {
            this.n = n;
            this.dim = dim;
            this.order = order;
            this.slot = new int[n];
            int tileCount = (n + TILE - 1) / TILE;
            this.tiles = new int[tileCount][];
            this.centres = new double[tileCount][dim];
            this.radius = new double[tileCount];
            for (int s = 0; s < n; s++) {
                slot[order[s]] = s;
            }
            for (int b = 0; b < tileCount; b++) {
                int[] tile = new int[dim * TILE];
                int valid = Math.min(TILE, n - b * TILE);
                double[] centre = centres[b];
                for (int t = 0; t < valid; t++) {
                    int row = order[b * TILE + t];
                    for (int j = 0; j < dim; j++) {
                        int v = rowMajor[row * dim + j];
                        tile[j * TILE + t] = v;
                        centre[j] += v;
                    }
                }
                for (int j = 0; j < dim; j++) {
                    centre[j] /= valid;
                }
                double r = 0;
                for (int t = 0; t < valid; t++) {
                    double s2 = 0;
                    for (int j = 0; j < dim; j++) {
                        double d = tile[j * TILE + t] - centre[j];
                        s2 += d * d;
                    }
                    r = Math.max(r, Math.sqrt(s2));
                }
                radius[b] = r;
                tiles[b] = tile;
            }
        }

        /** @return value {@code j} of original row {@code row} */
        int get(int row, int j) {
            int s = slot[row];
            return tiles[s / TILE][j * TILE + s % TILE];
        }

        /** @return original row {@code row} */
        int[] row(int row) {
            int[] c = new int[dim];
            int s = slot[row];
            int[] tile = tiles[s / TILE];
            int t = s % TILE;
            for (int j = 0; j < dim; j++) {
                c[j] = tile[j * TILE + t];
            }
            return c;
        }

        /** @return row-major copy in original row order (for the DJL backend) */
        int[] rowMajor() {
            int[] out = new int[n * dim];
            for (int i = 0; i < n; i++) {
                int s = slot[i];
                int[] tile = tiles[s / TILE];
                int t = s % TILE;
                for (int j = 0; j < dim; j++) {
                    out[i * dim + j] = tile[j * TILE + t];
                }
            }
            return out;
        }

        /**
         * Official initialization: mean Euclidean distance to random starting rows, here kept squared (and
         * floored to an integer) so that it compares with the exact integer distances of the greedy loop.
         *
         * @return per original row
         */
        int[] startDistances(int startingPoints, SplittableRandom random) {
            int k = Math.min(startingPoints, n);
            Set<Integer> starts = new LinkedHashSet<>();
            while (starts.size() < k) {
                starts.add(random.nextInt(n));
            }
            double[] sum = new double[n];
            int[] d = new int[n];
            for (int s : starts) {
                distancesTo(row(s), d);
                for (int i = 0; i < n; i++) {
                    sum[i] += Math.sqrt(d[i]);
                }
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                double mean = sum[i] / k;
                out[i] = (int) Math.min(Integer.MAX_VALUE, Math.floor(mean * mean));
            }
            return out;
        }

        /** Exact squared distances of every original row to {@code c}. */
        void distancesTo(int[] c, int[] out) {
            int[] acc = new int[TILE];
            for (int b = 0; b < tiles.length; b++) {
                Arrays.fill(acc, 0);
                int[] tile = tiles[b];
                for (int j = 0; j < dim; j++) {
                    int cj = c[j];
                    int o = j * TILE;
                    for (int t = 0; t < TILE; t++) {
                        int v = tile[o + t] - cj;
                        acc[t] += v * v;
                    }
                }
                int valid = Math.min(TILE, n - b * TILE);
                for (int t = 0; t < valid; t++) {
                    out[order[b * TILE + t]] = acc[t];
                }
            }
        }
    }

    /** Largest quantization level such that {@code dim * (2q)^2} fits in a signed 32-bit integer. */
    static int quantizationLevel(int dim) {
        return (int) Math.min(32767, Math.floor(Math.sqrt((double) Integer.MAX_VALUE / (4.0 * dim))) - 1);
    }

    /** Random projection (ND4J GEMM in row blocks), integer quantization, locality order. */
    static Projected project(PatchMatrix features, Options options) {
        int p = options.projectionDim();
        if (features.rows() * (long) Math.max(p, features.dim()) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Too many rows for coreset selection: " + features.rows());
        }
        int n = (int) features.rows();
        int d = features.dim();
        boolean identity = d == p;
        INDArray weightsT = null;
        if (!identity) {
            // torch.nn.Linear(d, p, bias=False) default init: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(d), 1/sqrt(d)).
            SplittableRandom random = new SplittableRandom(options.seed());
            float bound = (float) (1.0 / Math.sqrt(d));
            float[] w = new float[d * p];
            for (int o = 0; o < p; o++) {
                for (int i = 0; i < d; i++) {
                    w[i * p + o] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
            }
            weightsT = Nd4j.create(w, new long[] {d, p}, 'c');
        }
        float[] projected = new float[n * p];
        int block = PROJECTION_BLOCK;
        float[] buf = new float[block * d];
        INDArray out = identity ? null : Nd4j.createUninitialized(DataType.FLOAT, new long[] {block, p}, 'c');
        for (int start = 0; start < n; start += block) {
            int rows = Math.min(block, n - start);
            features.read(start, rows, buf, 0);
            if (identity) {
                System.arraycopy(buf, 0, projected, start * p, rows * p);
            } else {
                INDArray x = Nd4j.create(buf, new long[] {block, d}, 'c');
                Nd4j.gemm(x, weightsT, out, false, false, 1.0, 0.0);
                out.data().asNioFloat().get(0, projected, start * p, rows * p);
                x.close();
            }
        }
        if (weightsT != null) {
            weightsT.close();
            out.close();
        }
        float maxAbs = 0;
        for (float v : projected) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        int q = quantizationLevel(p);
        double scale = maxAbs > 0 ? q / (double) maxAbs : 0;
        int[] quantized = new int[n * p];
        for (int i = 0; i < quantized.length; i++) {
            quantized[i] = (int) Math.round(projected[i] * scale);
        }
        return new Projected(n, p, quantized, localityOrder(quantized, n, p));
    }

    /**
     * Orders rows as the leaves of a k-d split: the range is cut at a multiple of {@link #TILE} along its
     * widest dimension, recursively, so each tile holds nearby rows. Deterministic.
     */
    static int[] localityOrder(int[] x, int n, int dim) {
        int[] idx = new int[n];
        Arrays.setAll(idx, i -> i);
        java.util.ArrayDeque<int[]> stack = new java.util.ArrayDeque<>();
        stack.push(new int[] {0, n});
        int[] lo = new int[dim];
        int[] hi = new int[dim];
        while (!stack.isEmpty()) {
            int[] r = stack.pop();
            int from = r[0];
            int to = r[1];
            if (to - from <= TILE) {
                continue;
            }
            Arrays.fill(lo, Integer.MAX_VALUE);
            Arrays.fill(hi, Integer.MIN_VALUE);
            for (int i = from; i < to; i++) {
                int o = idx[i] * dim;
                for (int j = 0; j < dim; j++) {
                    int v = x[o + j];
                    lo[j] = Math.min(lo[j], v);
                    hi[j] = Math.max(hi[j], v);
                }
            }
            int axis = 0;
            for (int j = 1; j < dim; j++) {
                if ((long) hi[j] - lo[j] > (long) hi[axis] - lo[axis]) {
                    axis = j;
                }
            }
            int half = (to - from) / 2;
            int mid = from + Math.max(TILE, (half + TILE / 2) / TILE * TILE);
            if (mid >= to) {
                continue;
            }
            select(idx, from, to, mid, x, dim, axis);
            stack.push(new int[] {mid, to});
            stack.push(new int[] {from, mid});
        }
        return idx;
    }

    /** Quickselect: afterwards {@code idx[from, k)} have keys &le; those of {@code idx[k, to)}. */
    private static void select(int[] idx, int from, int to, int k, int[] x, int dim, int axis) {
        int left = from;
        int right = to - 1;
        while (left < right) {
            int a = x[idx[left] * dim + axis];
            int b = x[idx[(left + right) >>> 1] * dim + axis];
            int c = x[idx[right] * dim + axis];
            int pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
            int i = left;
            int j = right;
            while (i <= j) {
                while (x[idx[i] * dim + axis] < pivot) {
                    i++;
                }
                while (x[idx[j] * dim + axis] > pivot) {
                    j--;
                }
                if (i <= j) {
                    int t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                right = j;
            } else if (k >= i) {
                left = i;
            } else {
                return;
            }
        }
    }

    /**
     * The CPU greedy loop. Per new coreset member {@code c}, a tile whose bounding ball lies farther from
     * {@code c} than the square root of its largest current distance cannot change (triangle inequality) and
     * is skipped; the others get one fused pass: exact integer distance, running minimum, arg-max. Results
     * equal the unpruned loop's: skipping is decided with a safety margin, and ties go to the lowest original
     * row.
     */
    private static int[] greedyCpu(Projected p, int[] minDistByRow, int count, int threads,
            ProgressListener progress) {
        int tileCount = p.tiles.length;
        int[] minDist = new int[tileCount * TILE];
        for (int s = 0; s < p.n; s++) {
            minDist[s] = minDistByRow[p.order[s]];
        }
        int[] tileMax = new int[tileCount];
        int[] tileArg = new int[tileCount];
        for (int b = 0; b < tileCount; b++) {
            refreshTile(p, minDist, b, tileMax, tileArg);
        }
        int workers = Math.max(1, Math.min(threads, tileCount));
        ExecutorService pool = workers > 1 ? Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "coreset-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        long visited = 0;
        try {
            int[] chosen = new int[count];
            int selected = 0;
            int next = argMax(minDistByRow, p.n);
            int reportEvery = Math.max(1, count / 100);
            while (selected < count) {
                if (selected > 0 && minDist[p.slot[next]] == 0) {
                    LOG.info("coreset: every remaining row duplicates a chosen one; stopping at {} of {}", selected,
                            count);
                    break;
                }
                chosen[selected++] = next;
                if (selected == count) {
                    break;
                }
                int[] c = p.row(next);
                if (pool == null) {
                    visited += update(p, c, minDist, tileMax, tileArg, 0, tileCount);
                } else {
                    List<Future<Integer>> parts = new ArrayList<>();
                    int per = (tileCount + workers - 1) / workers;
                    for (int w = 1; w < workers; w++) {
                        int from = Math.min(tileCount, w * per);
                        int to = Math.min(tileCount, from + per);
                        Callable<Integer> task = () -> update(p, c, minDist, tileMax, tileArg, from, to);
                        parts.add(pool.submit(task));
                    }
                    visited += update(p, c, minDist, tileMax, tileArg, 0, Math.min(tileCount, per));
                    for (Future<Integer> f : parts) {
                        visited += f.get();
                    }
                }
                int bestTile = 0;
                for (int b = 1; b < tileCount; b++) {
                    if (tileMax[b] > tileMax[bestTile] || (tileMax[b] == tileMax[bestTile]
                            && p.order[tileArg[b]] < p.order[tileArg[bestTile]])) {
                        bestTile = b;
                    }
                }
                next = p.order[tileArg[bestTile]];
                if (selected % reportEvery == 0) {
                    progress.update("coreset", selected, count);
                }
            }
            progress.update("coreset", count, count);
            LOG.debug("coreset: the greedy loop visited {} % of the tiles", String.format("%.1f",
                    100.0 * visited / Math.max(1L, (long) tileCount * Math.max(1, selected - 1))));
            return selected == count ? chosen : Arrays.copyOf(chosen, selected);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Coreset selection interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Coreset worker failed: " + e.getCause(), e.getCause());
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /** Largest distance of a tile and its slot (lowest original row on ties). */
    private static void refreshTile(Projected p, int[] minDist, int b, int[] tileMax, int[] tileArg) {
        int base = b * TILE;
        int valid = Math.min(TILE, p.n - base);
        int best = -1;
        int arg = base;
        for (int t = 0; t < valid; t++) {
            int m = minDist[base + t];
            if (m > best || (m == best && p.order[base + t] < p.order[arg])) {
                best = m;
                arg = base + t;
            }
        }
        tileMax[b] = best;
        tileArg[b] = arg;
    }

    /** Updates tiles [from, to) for new member {@code c}; returns how many were visited (not skipped). */
    private static int update(Projected p, int[] c, int[] minDist, int[] tileMax, int[] tileArg, int from, int to) {
        int dim = p.dim;
        int[] acc = new int[TILE];
        int visited = 0;
        for (int b = from; b < to; b++) {
            double[] centre = p.centres[b];
            double s2 = 0;
            for (int j = 0; j < dim; j++) {
                double d = c[j] - centre[j];
                s2 += d * d;
            }
            // Every row of the tile is at least this far from c; the margin absorbs rounding of the bound.
            double lower = (Math.sqrt(s2) - p.radius[b]) * (1 - 1e-9) - 1e-6;
            if (lower > 0 && lower * lower >= tileMax[b]) {
                continue;
            }
            visited++;
            Arrays.fill(acc, 0);
            int[] tile = p.tiles[b];
            for (int j = 0; j < dim; j++) {
                int cj = c[j];
                int o = j * TILE;
                for (int t = 0; t < TILE; t++) {
                    int v = tile[o + t] - cj;
                    acc[t] += v * v;
                }
            }
            int base = b * TILE;
            int valid = Math.min(TILE, p.n - base);
            boolean changed = false;
            for (int t = 0; t < valid; t++) {
                if (acc[t] < minDist[base + t]) {
                    minDist[base + t] = acc[t];
                    changed = true;
                }
            }
            if (changed) {
                refreshTile(p, minDist, b, tileMax, tileArg);
            }
        }
        return visited;
    }

    private static int argMax(int[] v, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The DJL greedy loop, unpruned (devices stream well). Distances are {@code |x|^2 + |c|^2 - 2 x.c} in
     * float64 with one matrix-vector product per iteration: every term is an integer below 2^53, so the
     * result is exact whatever the summation order, and equals the CPU loop's.
     */
    private static int[] greedyDjl(Projected p, int[] minDist, int count, Device device, ProgressListener progress) {
        DjlEnvironment.init();
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            int[] rows = p.rowMajor();
            double[] values = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                values[i] = rows[i];
            }
            NDArray x = manager.create(values, new Shape(p.n, p.dim));
            NDArray norms = x.square().sum(new int[] {1});
            double[] init = new double[p.n];
            for (int i = 0; i < p.n; i++) {
                init[i] = minDist[i];
            }
            NDArray min = manager.create(init);
            int[] chosen = new int[count];
            int selected = 0;
            int next = argMax(minDist, p.n);
            int reportEvery = Math.max(1, count / 100);
            while (selected < count) {
                chosen[selected++] = next;
                if (selected == count) {
                    break;
                }
                try (NDManager step = manager.newSubManager()) {
                    x.tempAttach(step);
                    norms.tempAttach(step);
                    NDArray c = x.get(next);
                    NDArray dot = x.matMul(c.reshape(p.dim, 1)).reshape(p.n);
                    NDArray d = norms.sub(dot.mul(2)).add(norms.get(next));
                    NDArray updated = d.minimum(min);
                    long best = updated.argMax().getLong();
                    boolean exhausted = updated.get(best).getDouble() == 0;
                    updated.attach(manager);
                    min.close();
                    min = updated;
                    if (exhausted) {
                        LOG.info("coreset: every remaining row duplicates a chosen one; stopping at {} of {}",
                                selected, count);
                        break;
                    }
                    next = (int) best;
                }
                if (selected % reportEvery == 0) {
                    progress.update("coreset", selected, count);
                }
            }
            progress.update("coreset", count, count);
            return selected == count ? chosen : Arrays.copyOf(chosen, selected);
        }
    }
}
