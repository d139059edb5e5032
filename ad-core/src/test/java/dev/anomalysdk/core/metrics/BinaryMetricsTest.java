package dev.anomalysdk.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BinaryMetricsTest {
    private static final boolean T = true;
    private static final boolean F = false;

    @Test
    void handWorkedExample() {
        float[] s = {0.1f, 0.4f, 0.35f, 0.8f};
        boolean[] y = {F, F, T, T};
        // Pairs (anomalous, normal): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 -> 3/4.
        assertEquals(0.75, BinaryMetrics.auroc(s, y), 1e-12);
        // Descending: 0.8 (T) P=1 R=1/2; 0.4 (F); 0.35 (T) P=2/3 R=1 -> 1/2 + 1/2 * 2/3.
        assertEquals(5.0 / 6.0, BinaryMetrics.averagePrecision(s, y), 1e-12);
        // F1 = 2TP/(TP+FP+P): t=0.8 -> 2/3, t=0.4 -> 2/4, t=0.35 -> 4/5, t=0.1 -> 4/6.
        F1Max f = BinaryMetrics.f1Max(s, y);
        assertEquals(0.8, f.f1(), 1e-12);
        assertEquals(0.35f, f.threshold());
        assertEquals(2.0 / 3.0, f.precision(), 1e-12);
        assertEquals(1.0, f.recall(), 1e-12);
    }

    @Test
    void f1WithTiedScores() {
        float[] s = {0.9f, 0.9f, 0.5f, 0.5f, 0.2f};
        boolean[] y = {T, F, T, T, F};
        // t=0.9: TP1 FP1 -> 2/5; t=0.5: TP3 FP1 -> 6/7; t=0.2: TP3 FP2 -> 6/8.
        F1Max f = BinaryMetrics.f1Max(s, y);
        assertEquals(6.0 / 7.0, f.f1(), 1e-12);
        assertEquals(0.5f, f.threshold());
        assertEquals(0.75, f.precision(), 1e-12);
        assertEquals(1.0, f.recall(), 1e-12);
        // AP: t=0.9 R 1/3 P 1/2; t=0.5 R 1 P 3/4 -> 1/6 + 1/2.
        assertEquals(2.0 / 3.0, BinaryMetrics.averagePrecision(s, y), 1e-12);
        // AUROC: 0.9(T) vs {0.9: 1/2, 0.2: 1}; each 0.5(T) vs {0.9: 0, 0.2: 1} -> 3.5/6.
        assertEquals(3.5 / 6.0, BinaryMetrics.auroc(s, y), 1e-12);
    }

    @Test
    void equalF1PrefersTheHighestThreshold() {
        // P=2: t=0.9 TP1 FP1 -> 2/4; t=0.1 TP2 FP4 -> 4/8; t=0.5 TP1 FP3 -> 2/6.
        float[] s = {0.9f, 0.9f, 0.5f, 0.5f, 0.1f, 0.1f};
        boolean[] y = {T, F, F, F, T, F};
        F1Max f = BinaryMetrics.f1Max(s, y);
        assertEquals(0.5, f.f1(), 1e-12);
        assertEquals(0.9f, f.threshold());
    }

    @Test
    void allEqualScoresGiveHalf() {
        float[] s = {0.3f, 0.3f, 0.3f, 0.3f};
        boolean[] y = {T, F, F, T};
        assertEquals(0.5, BinaryMetrics.auroc(s, y), 1e-12);
        assertEquals(0.5, BinaryMetrics.averagePrecision(s, y), 1e-12);
        F1Max f = BinaryMetrics.f1Max(s, y);
        assertEquals(2.0 / 3.0, f.f1(), 1e-12);
        assertEquals(0.3f, f.threshold());
    }

    @Test
    void tieBetweenOneNormalAndOneAnomalousCountsHalf() {
        float[] s = {0.2f, 0.5f, 0.5f, 0.9f};
        boolean[] y = {F, F, T, T};
        // 0.5(T): 1 + 1/2; 0.9(T): 1 + 1 -> 3.5 / 4.
        assertEquals(0.875, BinaryMetrics.auroc(s, y), 1e-12);
    }

    @Test
    void perfectAndInvertedRankings() {
        float[] s = {1, 2, 3, 4};
        assertEquals(1.0, BinaryMetrics.auroc(s, new boolean[] {F, F, T, T}), 1e-12);
        assertEquals(1.0, BinaryMetrics.averagePrecision(s, new boolean[] {F, F, T, T}), 1e-12);
        assertEquals(0.0, BinaryMetrics.auroc(s, new boolean[] {T, T, F, F}), 1e-12);
    }

    @Test
    void negativeScoresAndSignedZeros() {
        assertEquals(1.0, BinaryMetrics.auroc(new float[] {-2f, -1f, -3f}, new boolean[] {F, T, F}), 1e-12);
        assertEquals(0.0, BinaryMetrics.auroc(new float[] {-1e-30f, 1e-30f}, new boolean[] {T, F}), 1e-12);
        // -0 and +0 are the same score: a tie.
        assertEquals(0.5, BinaryMetrics.auroc(new float[] {-0f, 0f}, new boolean[] {T, F}), 1e-12);
        assertEquals(0.5, BinaryMetrics.auroc(new float[] {0f, -0f}, new boolean[] {T, F}), 1e-12);
        assertEquals(1.0, BinaryMetrics.auroc(new float[] {-Float.MAX_VALUE, Float.MAX_VALUE},
                new boolean[] {F, T}), 1e-12);
    }

    @Test
    void sortableBitsPreserveOrder() {
        float[] v = {-Float.MAX_VALUE, -1e10f, -2f, -1f, -Float.MIN_VALUE, 0f, Float.MIN_VALUE, 1f, 2f,
            1e10f, Float.MAX_VALUE};
        for (int i = 0; i + 1 < v.length; i++) {
            assertTrue(SortedScores.sortableBits(v[i]) < SortedScores.sortableBits(v[i + 1]), "at " + v[i]);
            assertEquals(v[i], SortedScores.fromSortableBits(SortedScores.sortableBits(v[i])));
        }
        assertEquals(SortedScores.sortableBits(0f), SortedScores.sortableBits(-0f));
    }

    @Test
    void agreesWithNaiveAlgorithmsOnRandomTiedData() {
        Random rnd = new Random(12345);
        for (int trial = 0; trial < 300; trial++) {
            int n = 2 + rnd.nextInt(trial < 50 ? 8 : 300);
            float[] s = new float[n];
            boolean[] y = new boolean[n];
            double rate = 0.05 + 0.9 * rnd.nextDouble();
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextDouble() < rate;
                double raw = rnd.nextGaussian() + (y[i] ? 0.8 : 0);
                s[i] = (float) (Math.round(raw * 10) / 10.0);
            }
            y[0] = true;
            y[1] = false;
            String at = "trial " + trial;
            assertEquals(Naive.auroc(s, y), BinaryMetrics.auroc(s, y), 1e-9, at);
            assertEquals(Naive.averagePrecision(s, y), BinaryMetrics.averagePrecision(s, y), 1e-9, at);
            F1Max expected = Naive.f1Max(s, y);
            F1Max actual = BinaryMetrics.f1Max(s, y);
            assertEquals(expected.f1(), actual.f1(), 1e-9, at);
            assertEquals(expected.threshold(), actual.threshold(), at);
            assertEquals(expected.precision(), actual.precision(), 1e-9, at);
            assertEquals(expected.recall(), actual.recall(), 1e-9, at);
        }
    }

    @Test
    void rejectsMismatchedLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BinaryMetrics.auroc(new float[3], new boolean[2]));
        assertEquals("Got 3 scores but 2 labels", e.getMessage());
    }

    @Test
    void rejectsEmptyAndNullInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BinaryMetrics.averagePrecision(new float[0], new boolean[0]));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BinaryMetrics.f1Max(null, new boolean[0]));
        assertTrue(e.getMessage().contains("scores"), e.getMessage());
    }

    @Test
    void rejectsNonFiniteScoresNamingTheIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BinaryMetrics.auroc(new float[] {0.1f, 0.2f, Float.NaN}, new boolean[] {T, F, T}));
        assertEquals("Score at index 2 is not finite: NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BinaryMetrics.f1Max(
                new float[] {Float.NEGATIVE_INFINITY, 0.2f}, new boolean[] {T, F}));
        assertEquals("Score at index 0 is not finite: -Infinity", e.getMessage());
    }

    @Test
    void rejectsASingleClass() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BinaryMetrics.auroc(new float[] {0.1f, 0.2f, 0.3f}, new boolean[] {F, F, F}));
        assertEquals("needs both normal and anomalous samples, got only normal (3 samples)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BinaryMetrics.f1Max(new float[] {0.1f, 0.2f}, new boolean[] {T, T}));
        assertEquals("needs both normal and anomalous samples, got only anomalous (2 samples)", e.getMessage());
    }
}
