package dev.anomalysdk.memorybank.components;

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
 * <p>Cost: one GEMM for the projection; then the plain algorithm reads the whole {@code n x projectionDim}
 * projected matrix once per selected row. The CPU loop reads far less: rows live in compact tiles with a
 * bounding ball, a tile is only brought up to date when it may hold the farthest row, and then only with the
 * members near enough to change it (see {@code greedyCpu}); it is split over {@link Options#threads()}
 * threads.
 */
public final class CoresetSampler {
    private static final Logger LOG = LoggerFactory.getLogger(CoresetSampler.class);
    /** Rows per tile of the projected matrix (dimension-major inside a tile, so the CPU loop vectorizes). */
    static final int TILE = 256;
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
     * Projected, quantized rows in tiles of {@link #TILE} rows, one {@code int[TILE]} column per dimension (so
     * the loops over a tile's rows read and write at the same index, which the JIT vectorizes). Rows are
     * stored in a locality order (leaves of a k-d split), so that each tile is compact and has a small
     * bounding ball: the greedy loop skips every tile that the ball proves cannot change.
     */
    static final class Projected {
        final int n;
        final int dim;
        /** {@code tiles[b][j][t]}: value {@code j} of the row in slot {@code b * TILE + t}. */
        final int[][][] tiles;
        /** Original row of each storage slot. */
        final int[] order;
        /** Storage slot of each original row. */
        final int[] slot;
        /** Per tile: rounded mean of its rows (an integer point, so distances to it are exact) ... */
        final int[][] centres;
        /** ... and the largest Euclidean distance of one of its rows from that point. */
        final double[] radius;

        Projected(int n, int dim, int[] rowMajor, int[] order) {
            this.n = n;
            this.dim = dim;
            this.order = order;
            this.slot = new int[n];
            int tileCount = (n + TILE - 1) / TILE;
            this.tiles = new int[tileCount][dim][TILE];
            this.centres = new int[tileCount][dim];
            this.radius = new double[tileCount];
            for (int s = 0; s < n; s++) {
                slot[order[s]] = s;
            }
            for (int b = 0; b < tileCount; b++) {
                int[][] tile = tiles[b];
                int valid = Math.min(TILE, n - b * TILE);
                for (int j = 0; j < dim; j++) {
                    long sum = 0;
                    for (int t = 0; t < valid; t++) {
                        int v = rowMajor[order[b * TILE + t] * dim + j];
                        tile[j][t] = v;
                        sum += v;
                    }
                    centres[b][j] = (int) Math.round((double) sum / valid);
                }
                int[] d = new int[TILE];
                squaredDistances(tile, centres[b], d);
                int r = 0;
                for (int t = 0; t < valid; t++) {
                    r = Math.max(r, d[t]);
                }
                radius[b] = Math.sqrt(r);
            }
        }

        /** @return value {@code j} of original row {@code row} */
        int get(int row, int j) {
            int s = slot[row];
            return tiles[s / TILE][j][s % TILE];
        }

        /** @return original row {@code row} */
        int[] row(int row) {
            int[] c = new int[dim];
            int s = slot[row];
            int[][] tile = tiles[s / TILE];
            for (int j = 0; j < dim; j++) {
                c[j] = tile[j][s % TILE];
            }
            return c;
        }

        /** @return row-major copy in original row order (for the DJL backend) */
        int[] rowMajor() {
            int[] out = new int[n * dim];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < dim; j++) {
                    out[i * dim + j] = get(i, j);
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
            int[] d = new int[TILE];
            for (int s : starts) {
                int[] c = row(s);
                for (int b = 0; b < tiles.length; b++) {
                    squaredDistances(tiles[b], c, d);
                    int valid = Math.min(TILE, n - b * TILE);
                    for (int t = 0; t < valid; t++) {
                        sum[order[b * TILE + t]] += Math.sqrt(d[t]);
                    }
                }
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                double mean = sum[i] / k;
                out[i] = (int) Math.min(Integer.MAX_VALUE, Math.floor(mean * mean));
            }
            return out;
        }
    }

    /** Exact squared distances of a tile's rows to the point {@code c}, into {@code out[0, TILE)}. */
    static void squaredDistances(int[][] tile, int[] c, int[] out) {
        Arrays.fill(out, 0);
        for (int j = 0; j < c.length; j++) {
            int cj = c[j];
            int[] column = tile[j];
            for (int t = 0; t < TILE; t++) {
                int v = column[t] - cj;
                out[t] += v * v;
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
            weightsT = Nd4jArrays.matrix(w, 0, d, p);
        }
        float[] projected = new float[n * p];
        int block = PROJECTION_BLOCK;
        float[] buf = new float[block * d];
        INDArray x = identity ? null : Nd4j.createUninitialized(DataType.FLOAT, new long[] {block, d}, 'c');
        INDArray out = identity ? null : Nd4j.createUninitialized(DataType.FLOAT, new long[] {block, p}, 'c');
        for (int start = 0; start < n; start += block) {
            int rows = Math.min(block, n - start);
            features.read(start, rows, buf, 0);
            if (identity) {
                System.arraycopy(buf, 0, projected, start * p, rows * p);
            } else {
                x.data().asNioFloat().put(0, buf);
                Nd4j.gemm(x, weightsT, out, false, false, 1.0, 0.0);
                out.data().asNioFloat().get(0, projected, start * p, rows * p);
            }
        }
        if (weightsT != null) {
            weightsT.close();
            x.close();
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
     * The CPU greedy loop, lazy and pruned. The next member is the row with the largest distance to the
     * coreset, and distances only shrink, so a tile's largest distance as of its last update is an upper
     * bound of its current one. Each worker owns every {@code threads}-th tile, in a tournament tree ordered
     * by those bounds, and brings only its top tiles up to date, until the top one is current: that tile holds
     * the worker's farthest row. A tile that never reaches the top is never read again. Bringing a tile up to
     * date applies every member chosen since its last update, in pairs, each a fused pass (exact integer
     * distance, running minimum) over a tile that stays in cache, skipping the members whose distance from the tile's
     * bounding ball exceeds its largest distance (triangle inequality, with a safety margin). Applying a
     * member that could be skipped changes nothing, so the result equals the plain loop's: the same rows in
     * the same order, ties to the lowest original row.
     */
    private static int[] greedyCpu(Projected p, int[] minDistByRow, int count, int threads,
            ProgressListener progress) {
        LazyTiles lazy = new LazyTiles(p, minDistByRow, count, threads);
        int workers = lazy.workers;
        ExecutorService pool = workers > 1 ? Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "coreset-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            int[] chosen = new int[count];
            int selected = 0;
            int next = argMax(minDistByRow, p.n);
            int reportEvery = Math.max(1, count / 100);
            int[] tops = new int[workers];
            while (selected < count) {
                if (selected > 0 && lazy.minDist[p.slot[next]] == 0) {
                    LOG.info("coreset: every remaining row duplicates a chosen one; stopping at {} of {}", selected,
                            count);
                    break;
                }
                chosen[selected] = next;
                lazy.addMember(p.slot[next], selected);
                selected++;
                if (selected == count) {
                    break;
                }
                int members = selected;
                List<Future<Integer>> parts = new ArrayList<>();
                for (int w = 1; w < workers; w++) {
                    int worker = w;
                    parts.add(pool.submit(() -> lazy.farthestTile(worker, members)));
                }
                tops[0] = lazy.farthestTile(0, members);
                for (int w = 1; w < workers; w++) {
                    tops[w] = parts.get(w - 1).get();
                }
                int bestTile = tops[0];
                for (int w = 1; w < workers; w++) {
                    if (lazy.before(tops[w], bestTile)) {
                        bestTile = tops[w];
                    }
                }
                next = p.order[lazy.tileArg[bestTile]];
                if (selected % reportEvery == 0) {
                    progress.update("coreset", selected, count);
                }
            }
            progress.update("coreset", count, count);
            LOG.debug("coreset: {} % of the (tile, member) passes of a plain loop were computed",
                    String.format("%.2f", 100.0 * Arrays.stream(lazy.passes).sum()
                            / Math.max(1.0, (double) p.tiles.length * Math.max(1, selected - 1))));
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

    /**
     * State of the lazy CPU loop: per-slot distances, per-tile largest distance (an upper bound until the tile
     * is brought up to date) and how many members it has seen, the members' coordinates (by row and by
     * column), and per worker its share of the tiles in a tournament tree, with its scratch space. Workers touch only
     * their own tiles.
     */
    private static final class LazyTiles {
        final Projected p;
        final int[] minDist;
        final int[] tileMax;
        final int[] tileArg;
        final int[] seen;
        final int[] members;
        final int[][] memberColumns;
        final int workers;
        final int[][] trees;
        /** Per worker: squared distances of members to a tile's centre (indexed by member), two accumulators. */
        final int[][] centreDistances;
        final int[][][] accumulators;
        /** Per worker: (tile, member) passes computed. */
        final long[] passes;

        LazyTiles(Projected p, int[] minDistByRow, int count, int threads) {
            this.p = p;
            int tileCount = p.tiles.length;
            minDist = new int[tileCount * TILE];
            for (int s = 0; s < p.n; s++) {
                minDist[s] = minDistByRow[p.order[s]];
            }
            tileMax = new int[tileCount];
            tileArg = new int[tileCount];
            seen = new int[tileCount];
            for (int b = 0; b < tileCount; b++) {
                refreshTile(b);
            }
            members = new int[count * p.dim];
            memberColumns = new int[p.dim][count];
            // Tiles are dealt out in turn: neighbouring tiles (the k-d order keeps them close in space) go to
            // different workers, so the tiles a new member affects are shared among them.
            workers = Math.max(1, Math.min(threads, tileCount));
            trees = new int[workers][];
            centreDistances = new int[workers][count];
            accumulators = new int[workers][2][TILE];
            passes = new long[workers];
            for (int w = 0; w < workers; w++) {
                int owned = (tileCount - w + workers - 1) / workers;
                int leaves = Integer.highestOneBit(Math.max(1, owned - 1)) << 1;
                int[] tree = new int[2 * leaves];
                Arrays.fill(tree, -1);
                for (int i = 0; i < owned; i++) {
                    tree[leaves + i] = i * workers + w;
                }
                for (int node = leaves - 1; node >= 1; node--) {
                    tree[node] = winner(tree[2 * node], tree[2 * node + 1]);
                }
                trees[w] = tree;
            }
        }

        /** Records the coordinates of member number {@code index}, stored at {@code slot}. */
        void addMember(int slot, int index) {
            int[][] tile = p.tiles[slot / TILE];
            int t = slot % TILE;
            for (int j = 0; j < p.dim; j++) {
                int v = tile[j][t];
                members[index * p.dim + j] = v;
                memberColumns[j][index] = v;
            }
        }

        /** @return whether tile {@code a}'s largest distance comes before tile {@code b}'s (ties: lower row) */
        boolean before(int a, int b) {
            return tileMax[a] > tileMax[b] || (tileMax[a] == tileMax[b] && p.order[tileArg[a]] < p.order[tileArg[b]]);
        }

        private int winner(int a, int b) {
            if (a < 0) {
                return b;
            }
            return b < 0 || !before(b, a) ? a : b;
        }

        /** @return the tile of worker {@code w} holding its farthest row, after {@code memberCount} members */
        int farthestTile(int w, int memberCount) {
            int[] tree = trees[w];
            int leaves = tree.length / 2;
            while (true) {
                int b = tree[1];
                if (seen[b] == memberCount) {
                    return b;
                }
                catchUp(w, b, memberCount);
                for (int node = (leaves + b / workers) >> 1; node >= 1; node >>= 1) {
                    tree[node] = winner(tree[2 * node], tree[2 * node + 1]);
                }
            }
        }

        /** Applies members {@code [seen[b], memberCount)} to tile {@code b} (worker {@code w}'s scratch space). */
        private void catchUp(int w, int b, int memberCount) {
            int from = seen[b];
            int[] centre = p.centres[b];
            int[] d = centreDistances[w];
            Arrays.fill(d, from, memberCount, 0);
            for (int j = 0; j < p.dim; j++) {
                int cj = centre[j];
                int[] column = memberColumns[j];
                for (int m = from; m < memberCount; m++) {
                    int v = column[m] - cj;
                    d[m] += v * v;
                }
            }
            // Members that cannot lower any distance of the tile are skipped (every row of the tile is at least
            // sqrt(d) - radius from them; the margin absorbs rounding); the others are applied two at a time.
            int pending = -1;
            int computed = 0;
            for (int m = from; m < memberCount; m++) {
                double lower = (Math.sqrt(d[m]) - p.radius[b]) * (1 - 1e-9) - 1e-6;
                if (lower > 0 && lower * lower >= tileMax[b]) {
                    continue;
                }
                computed++;
                if (pending < 0) {
                    pending = m;
                } else {
                    apply(w, b, pending, m);
                    pending = -1;
                }
            }
            if (pending >= 0) {
                apply(w, b, pending, pending);
            }
            seen[b] = memberCount;
            passes[w] += computed;
        }

        /** Lowers tile {@code b}'s distances to members {@code m0} and {@code m1} (possibly equal). */
        private void apply(int w, int b, int m0, int m1) {
            int[][] tile = p.tiles[b];
            int[] acc0 = accumulators[w][0];
            int[] acc1 = accumulators[w][1];
            Arrays.fill(acc0, 0);
            Arrays.fill(acc1, 0);
            int o0 = m0 * p.dim;
            int o1 = m1 * p.dim;
            for (int j = 0; j < p.dim; j++) {
                int c0 = members[o0 + j];
                int c1 = members[o1 + j];
                int[] column = tile[j];
                for (int t = 0; t < TILE; t++) {
                    int x = column[t];
                    int v0 = x - c0;
                    int v1 = x - c1;
                    acc0[t] += v0 * v0;
                    acc1[t] += v1 * v1;
                }
            }
            int base = b * TILE;
            int valid = Math.min(TILE, p.n - base);
            boolean changed = false;
            for (int t = 0; t < valid; t++) {
                int v = Math.min(acc0[t], acc1[t]);
                if (v < minDist[base + t]) {
                    minDist[base + t] = v;
                    changed = true;
                }
            }
            if (changed) {
                refreshTile(b);
            }
        }

        /** Largest distance of a tile and its slot (lowest original row on ties). */
        private void refreshTile(int b) {
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
