package dev.anomalysdk.memorybank.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NearestNeighborsTest {

    private static float[][] random(Random r, int n, int d) {
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        return x;
    }

    private static double sq(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            double d = a[j] - b[j];
            s += d * d;
        }
        return s;
    }

    @Test
    void chunkedSearchAgreesWithBruteForce() {
        Random r = new Random(1);
        float[][] q = random(r, 137, 24);
        float[][] b = random(r, 61, 24);
        INDArray qa = Nd4j.createFromArray(q);
        INDArray ba = Nd4j.createFromArray(b);
        float[] dist = NearestNeighbors.squaredDistances(qa, ba, 50);
        int[] idx = NearestNeighbors.nearestIndex(qa, ba, 50);
        float[] mean3 = NearestNeighbors.meanOfNearest(qa, ba, 3, 40);
        for (int i = 0; i < q.length; i++) {
            double[] all = new double[b.length];
            int best = 0;
            for (int j = 0; j < b.length; j++) {
                all[j] = sq(q[i], b[j]);
                if (all[j] < all[best]) {
                    best = j;
                }
            }
            assertEquals(all[best], dist[i], 1e-3 * Math.max(1, all[best]));
            assertEquals(best, idx[i]);
            double[] sorted = all.clone();
            Arrays.sort(sorted);
            double expected = (Math.sqrt(sorted[0]) + Math.sqrt(sorted[1]) + Math.sqrt(sorted[2])) / 3;
            assertEquals(expected, mean3[i], 1e-3);
        }
    }

    @Test
    void aQueryInTheBankHasDistanceZero() {
        float[][] b = {{1, 2}, {3, 4}, {5, 6}};
        float[] d = NearestNeighbors.squaredDistances(Nd4j.createFromArray(new float[][] {{3, 4}}),
                Nd4j.createFromArray(b), 10);
        assertArrayEquals(new float[] {0f}, d, 1e-5f);
    }

    @Test
    void mismatchedDimensionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> NearestNeighbors.squaredDistances(
                Nd4j.createFromArray(new float[][] {{1, 2, 3}}), Nd4j.createFromArray(new float[][] {{1, 2}}), 8));
    }
}
