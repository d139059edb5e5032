package dev.anomalysdk.memorybank.kernels;

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
        INDArray centroids = seedPlusPlus(x, k, new Random(seed));
        float[] flat = x.dup('c').data().asFloat();
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

    /** k-means++: each next centre drawn with probability proportional to the squared distance. */
    private static INDArray seedPlusPlus(INDArray x, int k, Random random) {
        int n = (int) x.rows();
        INDArray centroids = Nd4j.create(DataType.FLOAT, k, x.columns());
        centroids.putRow(0, x.getRow(random.nextInt(n)));
        float[] best = NearestNeighbors.squaredDistances(x, centroids.getRow(0).reshape(1, x.columns()), CHUNK);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (float v : best) {
                total += v;
            }
            int pick;
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
            INDArray centre = x.getRow(pick).reshape(1, x.columns());
            centroids.putRow(c, centre);
            float[] d = NearestNeighbors.squaredDistances(x, centre, CHUNK);
            for (int i = 0; i < n; i++) {
                best[i] = Math.min(best[i], d[i]);
            }
        }
        return centroids;
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
