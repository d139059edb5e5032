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

    /** Projected, quantized rows in tiles of {@link #TILE} rows, dimension-major inside each tile. */
    static final class Projected {
        final int n;
        final int dim;
        final int[][] tiles;

        Projected(int n, int dim, int[][] tiles) {
            this.n = n;
            this.dim = dim;
            this.tiles = tiles;
        }

        int get(int row, int j) {
            return tiles[row / TILE][j * TILE + row % TILE];
        }

        int[] row(int row) {
            int[] c = new int[dim];
            int[] tile = tiles[row / TILE];
            int t = row % TILE;
            for (int j = 0; j < dim; j++) {
                c[j] = tile[j * TILE + t];
            }
            return c;
        }

        /** @return row-major copy (for the DJL backend) */
        int[] rowMajor() {
            int[] out = new int[n * dim];
            for (int i = 0; i < n; i++) {
                int[] tile = tiles[i / TILE];
                int t = i % TILE;
                for (int j = 0; j < dim; j++) {
                    out[i * dim + j] = tile[j * TILE + t];
                }
            }
            return out;
        }

        /**
         * Official initialization: mean Euclidean distance to random starting rows, here kept squared (and
         * floored to an integer) so that it compares with the exact integer distances of the greedy loop.
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
                int base = b * TILE;
                int valid = Math.min(TILE, n - base);
                System.arraycopy(acc, 0, out, base, valid);
            }
        }
    }

    /** Largest quantization level such that {@code dim * (2q)^2} fits in a signed 32-bit integer. */
    static int quantizationLevel(int dim) {
        return (int) Math.min(32767, Math.floor(Math.sqrt((double) Integer.MAX_VALUE / (4.0 * dim))) - 1);
    }

    /** Random projection (ND4J GEMM in row blocks) followed by integer quantization. */
    static Projected project(PatchMatrix features, Options options) {
        if (features.rows() > Integer.MAX_VALUE - TILE) {
            throw new IllegalArgumentException("Too many rows for coreset selection: " + features.rows());
        }
        int n = (int) features.rows();
        int d = features.dim();
        int p = options.projectionDim();
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
        int tileCount = (n + TILE - 1) / TILE;
        float[][] projected = new float[tileCount][];
        float maxAbs = 0;
        int block = Math.max(TILE, (PROJECTION_BLOCK / TILE) * TILE);
        float[] buf = new float[block * d];
        for (int start = 0; start < n; start += block) {
            int rows = Math.min(block, n - start);
            features.read(start, rows, buf, 0);
            float[] out;
            if (identity) {
                out = Arrays.copyOf(buf, rows * d);
            } else {
                INDArray x = Nd4j.create(Arrays.copyOf(buf, rows * d), new long[] {rows, d}, 'c');
                out = x.mmul(weightsT).castTo(DataType.FLOAT).dup('c').data().asFloat();
            }
            for (float v : out) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            for (int r = 0; r < rows; r += TILE) {
                int tileRows = Math.min(TILE, rows - r);
                projected[(start + r) / TILE] = Arrays.copyOfRange(out, r * p, (r + tileRows) * p);
            }
        }
        int q = quantizationLevel(p);
        double scale = maxAbs > 0 ? q / (double) maxAbs : 0;
        int[][] tiles = new int[tileCount][];
        for (int b = 0; b < tileCount; b++) {
            float[] src = projected[b];
            int rows = src.length / p;
            int[] tile = new int[p * TILE];
            for (int t = 0; t < rows; t++) {
                for (int j = 0; j < p; j++) {
                    tile[j * TILE + t] = (int) Math.round(src[t * p + j] * scale);
                }
            }
            tiles[b] = tile;
            projected[b] = null;
        }
        return new Projected(n, p, tiles);
    }

    /** Best (largest) distance of a range of tiles and its row; ties keep the lowest row. */
    private record Best(int distance, int row) { }

    private static int[] greedyCpu(Projected p, int[] minDist, int count, int threads, ProgressListener progress) {
        int tileCount = p.tiles.length;
        int workers = Math.max(1, Math.min(threads, tileCount));
        ExecutorService pool = workers > 1 ? Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "coreset-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            int[] chosen = new int[count];
            int selected = 0;
            int next = argMax(minDist, p.n);
            int reportEvery = Math.max(1, count / 100);
            while (selected < count) {
                if (minDist[next] == 0 && selected > 0) {
                    LOG.info("coreset: every remaining row duplicates a chosen one; stopping at {} of {}", selected,
                            count);
                    break;
                }
                chosen[selected++] = next;
                if (selected == count) {
                    break;
                }
                int[] c = p.row(next);
                Best best;
                if (pool == null) {
                    best = update(p, c, minDist, 0, tileCount);
                } else {
                    List<Future<Best>> parts = new ArrayList<>();
                    int per = (tileCount + workers - 1) / workers;
                    for (int w = 1; w < workers; w++) {
                        int from = w * per;
                        int to = Math.min(tileCount, from + per);
                        Callable<Best> task = () -> update(p, c, minDist, from, to);
                        parts.add(pool.submit(task));
                    }
                    best = update(p, c, minDist, 0, Math.min(tileCount, per));
                    for (Future<Best> f : parts) {
                        Best b = f.get();
                        if (b.distance > best.distance) {
                            best = b;
                        }
                    }
                }
                next = best.row;
                if (selected % reportEvery == 0) {
                    progress.update("coreset", selected, count);
                }
            }
            progress.update("coreset", count, count);
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

    /** One fused pass over tiles [from, to): distance to c, running minimum, arg-max. */
    private static Best update(Projected p, int[] c, int[] minDist, int from, int to) {
        int dim = p.dim;
        int[] acc = new int[TILE];
        int best = -1;
        int bestRow = -1;
        for (int b = from; b < to; b++) {
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
            for (int t = 0; t < valid; t++) {
                int m = Math.min(minDist[base + t], acc[t]);
                minDist[base + t] = m;
                if (m > best) {
                    best = m;
                    bestRow = base + t;
                }
            }
        }
        return new Best(best, bestRow);
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

    private static int[] greedyDjl(Projected p, int[] minDist, int count, Device device, ProgressListener progress) {
        DjlEnvironment.init();
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            NDArray x = manager.create(p.rowMajor(), new Shape(p.n, p.dim));
            long[] init = new long[p.n];
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
                    // int32 differences and squares are exact; the row sum is int64 (torch promotes integer sums).
                    NDArray d = x.sub(x.get(next)).square().sum(new int[] {1});
                    NDArray updated = d.minimum(min);
                    NDArray arg = updated.argMax();
                    long best = arg.getLong();
                    boolean exhausted = updated.getLong(best) == 0;
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
