package dev.anomalysdk.memorybank.components;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ProgressListener;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KMeansTest {

    @Test
    void recoversTheCentresOfWellSeparatedClusters() {
        float[][] centres = {{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {0, 0, 10}};
        Random r = new Random(5);
        float[][] points = new float[400][3];
        for (int i = 0; i < points.length; i++) {
            float[] c = centres[i % 4];
            for (int j = 0; j < 3; j++) {
                points[i][j] = c[j] + (float) (0.1 * r.nextGaussian());
            }
        }
        INDArray found = KMeans.fit(Nd4j.createFromArray(points), 4, 50, 7, ProgressListener.NONE);
        for (float[] c : centres) {
            double best = Double.MAX_VALUE;
            for (int k = 0; k < 4; k++) {
                double d = 0;
                for (int j = 0; j < 3; j++) {
                    double diff = found.getDouble(k, j) - c[j];
                    d += diff * diff;
                }
                best = Math.min(best, d);
            }
            assertTrue(best < 0.05, "a centroid lies near every true centre");
        }
    }

    @Test
    void theSameSeedGivesTheSameCentroids() {
        Random r = new Random(2);
        float[][] points = new float[300][4];
        for (float[] p : points) {
            for (int j = 0; j < 4; j++) {
                p[j] = (float) r.nextGaussian();
            }
        }
        INDArray a = KMeans.fit(Nd4j.createFromArray(points), 8, 20, 11, ProgressListener.NONE);
        INDArray b = KMeans.fit(Nd4j.createFromArray(points), 8, 20, 11, ProgressListener.NONE);
        assertEquals(a, b);
    }

    @Test
    void moreClustersThanPointsIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KMeans.fit(Nd4j.createFromArray(new float[][] {{1, 2}}), 2, 5, 0, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("2"));
    }
}
