package dev.anomalysdk.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SortedScoresTest {

    private static long[] randomKeys(Random rnd, int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            float score = switch (i % 4) {
                case 0 -> (float) rnd.nextGaussian() * 1e6f;
                case 1 -> Math.round(rnd.nextGaussian() * 10) / 10f;
                case 2 -> -rnd.nextFloat();
                default -> rnd.nextFloat();
            };
            keys[i] = SortedScores.key(score, rnd.nextInt(5));
        }
        return keys;
    }

    @Test
    void radixSortOrdersByScoreLikeAComparisonSort() {
        Random rnd = new Random(99);
        for (int n : new int[] {1, 2, 513, 10_000, 100_000}) {
            long[] keys = randomKeys(rnd, n);
            long[] radix = keys.clone();
            SortedScores.radixSortByScore(radix, n, new long[n]);
            long[] expected = keys.clone();
            Arrays.sort(expected);
            // Scores (upper 32 bits) must be in exactly the same order; payloads may differ in order.
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i] >> 32, radix[i] >> 32, "n " + n + " at " + i);
            }
            long[] sortedRadix = radix.clone();
            Arrays.sort(sortedRadix);
            assertArrayEquals(expected, sortedRadix, "the radix sort must be a permutation");
        }
    }

    @Test
    void walkGivesTheSameGroupsWhateverTheChunking() {
        Random rnd = new Random(5);
        long[] keys = randomKeys(rnd, 20_000);
        List<String> reference = null;
        for (int chunk : new int[] {1, 3, 100, 600, 1 << 22}) {
            SortedScores s = new SortedScores(chunk);
            for (int i = 0; i < keys.length / 2; i++) {
                s.add(keys[i]);
            }
            s.sort();
            for (int i = keys.length / 2; i < keys.length; i++) {
                s.add(keys[i]);
            }
            List<String> groups = new ArrayList<>();
            s.walk(null, (score, pos, neg, overlap) -> groups.add(score + ":" + pos + ":" + neg));
            if (reference == null) {
                reference = groups;
                // Independently: the number of groups is the number of distinct scores.
                assertEquals(Arrays.stream(keys).map(k -> k >> 32).distinct().count(), groups.size());
            } else {
                assertEquals(reference, groups, "chunk size " + chunk);
            }
        }
    }
}
