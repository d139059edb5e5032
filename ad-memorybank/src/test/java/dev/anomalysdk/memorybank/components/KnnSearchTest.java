package dev.anomalysdk.memorybank.components;

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

    /** Rows near a low-dimensional subspace, like patch features: 8 strong directions plus small noise. */
    static float[] structured(Random r, int rows, int dim) {
        float[][] axes = new float[8][];
        for (int a = 0; a < axes.length; a++) {
            axes[a] = gaussian(r, dim);
        }
        float[] x = new float[rows * dim];
        for (int i = 0; i < rows; i++) {
            for (float[] axis : axes) {
                float c = (float) (3 * r.nextGaussian());
                for (int t = 0; t < dim; t++) {
                    x[i * dim + t] += c * axis[t];
                }
            }
            for (int t = 0; t < dim; t++) {
                x[i * dim + t] += (float) (0.3 * r.nextGaussian()) + 5;
            }
        }
        return x;
    }

    @Test
    void prunedSearchIsExactOnStructuredAndUnstructuredData() {
        Random r = new Random(13);
        int dim = 96;
        int m = 2500;
        float[] structuredBank = structured(r, m, dim);
        float[] structuredQueries = structured(new Random(14), 300, dim);
        float[] flatBank = gaussian(r, m * dim);
        float[] flatQueries = gaussian(r, 100 * dim);
        try (PatchMatrix b = PatchMatrix.of(structuredBank, dim); PatchMatrix f = PatchMatrix.of(flatBank, dim);
                KnnSearch pruned = new KnnSearch(b, KernelBackend.ND4J, null);
                KnnSearch flat = new KnnSearch(f, KernelBackend.ND4J, null)) {
            assertEquals(true, pruned.isPruned());
            assertEquals(true, flat.isPruned());
            assertAgreesWithBruteForce(structuredQueries, 300, structuredBank, dim, 1, pruned.search(structuredQueries,
                    300, 1));
            assertAgreesWithBruteForce(structuredQueries, 300, structuredBank, dim, 4, pruned.search(structuredQueries,
                    300, 4));
            // Isotropic data: the bound prunes little, queries fall back to the exhaustive search, and the
            // next search skips the bound.
            assertAgreesWithBruteForce(flatQueries, 100, flatBank, dim, 2, flat.search(flatQueries, 100, 2));
            assertAgreesWithBruteForce(flatQueries, 100, flatBank, dim, 2, flat.search(flatQueries, 100, 2));
        }
    }

    @Test
    void prunedSearchGivesTheSameRowsAsTheExhaustiveSearchAndLowerRowsWinTies() {
        Random r = new Random(15);
        int dim = 64;
        int m = 2100;
        float[] bank = structured(r, m, dim);
        // Rows 2000.. repeat rows 0..: a query equal to row 5 has two neighbours at distance 0 (5 and 2005).
        System.arraycopy(bank, 0, bank, 2000 * dim, 100 * dim);
        float[] q = structured(new Random(16), 200, dim);
        System.arraycopy(bank, 5 * dim, q, 0, dim);
        try (PatchMatrix b = PatchMatrix.of(bank, dim);
                KnnSearch pruned = new KnnSearch(b, KernelBackend.ND4J, null, KnnSearch.DEFAULT_RESIDENT_BYTES, 8);
                KnnSearch exhaustive = new KnnSearch(b, KernelBackend.ND4J, null, KnnSearch.DEFAULT_RESIDENT_BYTES, 0)) {
            assertEquals(false, exhaustive.isPruned());
            KnnSearch.Result a = pruned.search(q, 200, 2);
            KnnSearch.Result e = exhaustive.search(q, 200, 2);
            assertEquals(5, a.index(0, 0));
            assertEquals(2005, a.index(0, 1));
            assertEquals(0f, a.distance(0, 1), 0f);
            for (int i = 0; i < 200; i++) {
                assertEquals(e.index(i, 0), a.index(i, 0), "query " + i);
                assertEquals(e.distance(i, 0), a.distance(i, 0), 1e-4f * Math.max(1, e.distance(i, 0)));
            }
            assertThrows(IllegalArgumentException.class, () -> new KnnSearch(b, KernelBackend.ND4J, null,
                    KnnSearch.DEFAULT_RESIDENT_BYTES, dim));
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
