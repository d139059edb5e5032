package dev.anomalysdk.memorybank.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.anomalysdk.core.ProgressListener;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CoresetSamplerTest {

    /** Clustered data: 40 tight blobs, so a good coreset must visit every blob. */
    static float[] clustered(int n, int dim, long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[40][dim];
        for (float[] c : centres) {
            for (int j = 0; j < dim; j++) {
                c[j] = (float) (r.nextGaussian() * 10);
            }
        }
        float[] x = new float[n * dim];
        for (int i = 0; i < n; i++) {
            float[] c = centres[r.nextInt(centres.length)];
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = c[j] + (float) r.nextGaussian() * 0.5f;
            }
        }
        return x;
    }

    /** Largest distance from any row to its nearest selected row (the k-center objective). */
    static double coveringRadius(float[] x, int dim, int[] chosen) {
        int n = x.length / dim;
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double best = Double.MAX_VALUE;
            for (int c : chosen) {
                double s = 0;
                for (int j = 0; j < dim; j++) {
                    double d = x[i * dim + j] - x[c * dim + j];
                    s += d * d;
                }
                best = Math.min(best, s);
            }
            worst = Math.max(worst, best);
        }
        return Math.sqrt(worst);
    }

    @Test
    void bothBackendsAndThreadCountsSelectTheSameRows() {
        int dim = 200;
        float[] x = clustered(3000, dim, 1);
        try (PatchMatrix m = PatchMatrix.of(x, dim)) {
            int[] one = CoresetSampler.select(m, new CoresetSampler.Options(0.1, 128, 10, 7, 1), KernelBackend.ND4J,
                    null, ProgressListener.NONE);
            int[] two = CoresetSampler.select(m, new CoresetSampler.Options(0.1, 128, 10, 7, 2), KernelBackend.ND4J,
                    null, ProgressListener.NONE);
            int[] djl = CoresetSampler.select(m, new CoresetSampler.Options(0.1, 128, 10, 7, 1), KernelBackend.DJL,
                    Device.cpu(), ProgressListener.NONE);
            assertEquals(300, one.length, "floor(3000 * 0.1) rows");
            assertArrayEquals(one, two);
            assertArrayEquals(one, djl);
            assertEquals(300, Arrays.stream(one).distinct().count(), "no row chosen twice");
            int[] other = CoresetSampler.select(m, new CoresetSampler.Options(0.1, 128, 10, 8, 1), KernelBackend.ND4J,
                    null, ProgressListener.NONE);
            assertTrue(!Arrays.equals(one, other), "another seed, another projection and start");
        }
        // Many compact tiles: the lazy CPU loop leaves most of them stale or skips them, and must still choose
        // exactly what the plain DJL loop chooses, however the tiles are split between threads.
        float[] y = clustered(20_000, 24, 5);
        try (PatchMatrix m = PatchMatrix.of(y, 24)) {
            int[] plain = CoresetSampler.select(m, new CoresetSampler.Options(0.05, 12, 10, 1, 1), KernelBackend.DJL,
                    Device.cpu(), ProgressListener.NONE);
            for (int threads : new int[] {1, 2, 3}) {
                assertArrayEquals(plain, CoresetSampler.select(m, new CoresetSampler.Options(0.05, 12, 10, 1, threads),
                        KernelBackend.ND4J, null, ProgressListener.NONE), threads + " threads");
            }
        }
    }

    @Test
    void theGreedyLoopMatchesAStraightforwardReferenceOnTheProjectedRows() {
        int dim = 64;
        float[] x = clustered(1500, dim, 2);
        CoresetSampler.Options o = new CoresetSampler.Options(0.05, 16, 10, 3, 2);
        try (PatchMatrix m = PatchMatrix.of(x, dim)) {
            int[] got = CoresetSampler.select(m, o, KernelBackend.ND4J, null, ProgressListener.NONE);
            // Reference: the official algorithm written plainly on the same projected, quantized rows.
            CoresetSampler.Projected p = CoresetSampler.project(m, o);
            int n = p.n;
            SplittableRandom random = new SplittableRandom(o.seed() ^ 0x5DEECE66DL);
            java.util.LinkedHashSet<Integer> starts = new java.util.LinkedHashSet<>();
            while (starts.size() < 10) {
                starts.add(random.nextInt(n));
            }
            double[] min = new double[n];
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int s : starts) {
                    sum += Math.sqrt(sq(p, i, s));
                }
                min[i] = Math.floor((sum / 10) * (sum / 10));
            }
            int[] expected = new int[CoresetSampler.sampleCount(n, o.fraction())];
            for (int k = 0; k < expected.length; k++) {
                int best = 0;
                for (int i = 1; i < n; i++) {
                    if (min[i] > min[best]) {
                        best = i;
                    }
                }
                expected[k] = best;
                for (int i = 0; i < n; i++) {
                    min[i] = Math.min(min[i], sq(p, i, best));
                }
            }
            assertArrayEquals(expected, got);
        }
    }

    private static double sq(CoresetSampler.Projected p, int a, int b) {
        double s = 0;
        for (int j = 0; j < p.dim; j++) {
            double d = p.get(a, j) - p.get(b, j);
            s += d * d;
        }
        return s;
    }

    @Test
    void theCoresetCoversTheDataFarBetterThanARandomSubset() {
        int dim = 32;
        float[] x = clustered(2000, dim, 4);
        try (PatchMatrix m = PatchMatrix.of(x, dim)) {
            int[] chosen = CoresetSampler.select(m, CoresetSampler.Options.of(0.02, 0), KernelBackend.ND4J, null,
                    ProgressListener.NONE);
            int[] random = new Random(0).ints(0, 2000).distinct().limit(chosen.length).toArray();
            double greedy = coveringRadius(x, dim, chosen);
            double baseline = coveringRadius(x, dim, random);
            // 40 blobs of radius ~0.5*sqrt(32) = 2.8 spread at scale 10*sqrt(2*32): a coreset of 40 visits every
            // blob; 40 random rows miss several.
            assertTrue(greedy < 6, "coreset covering radius " + greedy);
            assertTrue(greedy < 0.5 * baseline, "coreset " + greedy + " vs random " + baseline);
        }
    }

    @Test
    void duplicatesStopTheSelectionEarlyAndBadOptionsAreRejected() {
        float[] x = new float[100 * 4];
        for (int i = 0; i < 100; i++) {
            x[i * 4] = i % 3;
        }
        try (PatchMatrix m = PatchMatrix.of(x, 4)) {
            for (KernelBackend b : KernelBackend.values()) {
                int[] chosen = CoresetSampler.select(m, new CoresetSampler.Options(0.5, 4, 10, 0, 1), b, null,
                        ProgressListener.NONE);
                int[] sorted = chosen.clone();
                Arrays.sort(sorted);
                assertEquals(3, chosen.length, b + ": only three distinct rows");
                assertEquals(3, Arrays.stream(chosen).map(i -> i % 3).distinct().count());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new CoresetSampler.Options(0, 128, 10, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CoresetSampler.Options(1.5, 128, 10, 0, 1));
        assertEquals(7, CoresetSampler.sampleCount(78, 0.1));
        assertEquals(1, CoresetSampler.sampleCount(5, 0.01));
    }
}
