package dev.anomalysdk.memorybank.components;

import dev.anomalysdk.core.ProgressListener;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lloyd's k-means with k-means++ seeding, on ND4J. Distances are computed in row chunks as
 * {@code |x|^2 - 2 x.c + |c|^2} with one GEMM per chunk, so memory stays at {@code chunk x k} whatever the
 * number of points. Deterministic for a given seed.
 */
public final class KMeans {
    private static final Logger LOG = LoggerFactory.getLogger(KMeans.class);
    private static final int CHUNK = 8192;

    private KMeans() {}

    /**
     * Clusters rows.
     *
     * @param data {@code n x d} float32 points
     * @param k number of centroids (at most n)
     * @param iterations Lloyd iterations at most (stops earlier when assignments no longer change)
     * @param seed random seed for the k-means++ seeding
     * @param progress progress sink
     * @return {@code k x d} centroids
     */
    public static INDArray fit(INDArray data, int k, int iterations, long seed, ProgressListener progress) {
        long n = data.rows();
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("Invalid number of clusters " + k + " for " + n + " points");
        }
        INDArray x = data.castTo(DataType.FLOAT);
        float[] flat = x.dup('c').data().asFloat();
        INDArray centroids = seedPlusPlus(flat, (int) n, (int) x.columns(), k, new Random(seed));
        int[] assignment = new int[(int) n];
        java.util.Arrays.fill(assignment, -1);
        for (int it = 0; it < iterations; it++) {
            int[] next = NearestNeighbors.nearestIndex(x, centroids, CHUNK);
            int changed = 0;
            for (int i = 0; i < n; i++) {
                if (next[i] != assignment[i]) {
                    changed++;
                }
            }
            assignment = next;
            centroids = update(flat, (int) x.columns(), assignment, k, centroids);
            progress.update("k-means", it + 1, iterations);
            if (changed == 0) {
                LOG.debug("k-means converged after {} iterations", it + 1);
                break;
            }
        }
        return centroids;
    }

    /**
     * k-means++: each next centre drawn with probability proportional to the squared distance to the nearest
     * centre so far. One pass over the points per centre, in plain Java on the row-major copy.
     */
    private static INDArray seedPlusPlus(float[] x, int n, int d, int k, Random random) {
        float[] centres = new float[k * d];
        float[] best = new float[n];
        java.util.Arrays.fill(best, Float.POSITIVE_INFINITY);
        int pick = random.nextInt(n);
        for (int c = 0; c < k; c++) {
            if (c > 0) {
                double total = 0;
                for (float v : best) {
                    total += v;
                }
                if (total <= 0) {
                    pick = random.nextInt(n);
                } else {
                    double r = random.nextDouble() * total;
                    pick = n - 1;
                    for (int i = 0; i < n; i++) {
                        r -= best[i];
                        if (r <= 0) {
                            pick = i;
                            break;
                        }
                    }
                }
            }
            System.arraycopy(x, pick * d, centres, c * d, d);
            for (int i = 0; i < n; i++) {
                float dist = 0;
                for (int j = 0, o = i * d, q = pick * d; j < d; j++) {
                    float diff = x[o + j] - x[q + j];
                    dist += diff * diff;
                }
                if (dist < best[i]) {
                    best[i] = dist;
                }
            }
        }
        return Nd4jArrays.matrix(centres, 0, k, d);
    }

    /** New centroids = means of assigned points; an empty cluster keeps its previous centre. */
    private static INDArray update(float[] x, int d, int[] assignment, int k, INDArray previous) {
        double[][] sums = new double[k][d];
        int[] counts = new int[k];
        for (int i = 0; i < assignment.length; i++) {
            int a = assignment[i];
            counts[a]++;
            double[] sum = sums[a];
            for (int j = 0, o = i * d; j < d; j++) {
                sum[j] += x[o + j];
            }
        }
        INDArray out = previous.dup();
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                continue;
            }
            float[] mean = new float[d];
            for (int j = 0; j < d; j++) {
                mean[j] = (float) (sums[c][j] / counts[c]);
            }
            out.putRow(c, Nd4j.createFromArray(mean));
        }
        return out;
    }
}
