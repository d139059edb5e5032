package dev.anomalysdk.memorybank.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class KnnSearchTest {
    @TempDir
    Path tmp;

    static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Brute force in double: sorted squared distances and rows for one query. */
    static void assertAgreesWithBruteForce(float[] q, int count, float[] bank, int dim, int k, KnnSearch.Result res) {
        int m = bank.length / dim;
        for (int i = 0; i < count; i++) {
            double[] d = new double[m];
            Integer[] order = new Integer[m];
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int t = 0; t < dim; t++) {
                    double v = q[i * dim + t] - bank[j * dim + t];
                    s += v * v;
                }
                d[j] = s;
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Double.compare(d[a], d[b]));
            for (int t = 0; t < k; t++) {
                double expected = d[order[t]];
                assertEquals(expected, res.distance(i, t), 1e-3 * Math.max(1, expected), "query " + i + " rank " + t);
                // Rows must be a true t-th neighbour (equal distances may swap).
                assertEquals(expected, d[res.index(i, t)], 1e-3 * Math.max(1, expected), "row of query " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KernelBackend.class)
    void residentAndStreamedSearchAgreeWithBruteForce(KernelBackend backend) {
        Random r = new Random(11);
        int dim = 48;
        // More bank rows than one block and more queries than one chunk, so the merging is exercised.
        int m = KnnSearch.BLOCK + 300;
        int count = KnnSearch.QUERY_CHUNK + 77;
        float[] bank = gaussian(r, m * dim);
        float[] q = gaussian(r, count * dim);
        try (PatchMatrix b = PatchMatrix.of(bank, dim);
                KnnSearch resident = new KnnSearch(b, backend, Device.cpu());
                KnnSearch streamed = new KnnSearch(b, backend, Device.cpu(), 0)) {
            assertEquals(true, resident.isResident());
            assertEquals(false, streamed.isResident());
            assertAgreesWithBruteForce(q, 200, bank, dim, 1, resident.search(q, 200, 1));
            KnnSearch.Result all = streamed.search(q, count, 3);
            assertAgreesWithBruteForce(q, count, bank, dim, 3, all);
        }
    }

    @ParameterizedTest
    @EnumSource(KernelBackend.class)
    void float16MappedBankIsSearchedOnItsStoredValues(KernelBackend backend) throws IOException {
        Random r = new Random(12);
        int dim = 32;
        float[] bank = gaussian(r, 700 * dim);
        float[] q = gaussian(r, 50 * dim);
        try (PatchMatrix b = PatchMatrix.mappedTemporary(tmp, dim, PatchMatrix.Precision.FLOAT16)) {
            b.append(bank, 0, 700);
            float[] stored = b.toArray();
            try (KnnSearch s = new KnnSearch(b, backend, Device.cpu(), 0)) {
                assertAgreesWithBruteForce(q, 50, stored, dim, 2, s.search(q, 50, 2));
            }
        }
    }

    @Test
    void aQueryInTheBankIsItsOwnNearestNeighbour() {
        float[] bank = {1, 2, 3, 4, 5, 6, 1, 2.5f};
        try (PatchMatrix b = PatchMatrix.of(bank, 2); KnnSearch s = new KnnSearch(b, KernelBackend.ND4J, null)) {
            KnnSearch.Result res = s.search(new float[] {3, 4}, 1, 2);
            assertEquals(1, res.index(0, 0));
            assertEquals(0f, res.distance(0, 0), 1e-5f);
            assertThrows(IllegalArgumentException.class, () -> s.search(new float[] {3, 4}, 1, 5));
            assertThrows(IllegalArgumentException.class, () -> s.search(new float[] {3}, 1, 1));
        }
    }
}
