package dev.anomalysdk.core.metrics;

import java.util.Arrays;

/**
 * A growable, chunked store of packed {@code long} keys (score + payload) that is sorted lazily and
 * walked from the highest score down, one tie group at a time.
 *
 * <p>Each key holds the score as order-preserving float bits in its upper 32 bits and an unsigned
 * 32-bit payload in its lower 32 bits: 0 = normal sample, {@code k >= 1} = anomalous sample that
 * belongs to defect region {@code k} (binary metrics use 1 for every anomalous sample). Storage is
 * exactly 8 bytes per key plus the unused tail of the last chunk (at most one chunk, 32 MiB).
 *
 * <p>Chunks are sorted independently (once, and again only when keys were appended after the last
 * sort; a radix sort needs one temporary buffer of one chunk) and walked with a k-way merge, so no
 * second copy of the data is ever made.
 *
 * <p>Not thread-safe.
 */
final class SortedScores {
    /** Largest chunk: 2^22 keys = 32 MiB. */
    static final int MAX_CHUNK = 1 << 22;
    private static final int FIRST_CAPACITY = 1 << 10;

    private final int maxChunk;
    private long[][] chunks = new long[4][];
    private int[] lengths = new int[4];
    private int chunkCount;
    private long size;
    /** Chunks below this index are sorted and have not been appended to since. */
    private int sortedBelow;

    /** Creates an empty store with the default chunk size. */
    SortedScores() {
        this(MAX_CHUNK);
    }

    /** Creates an empty store whose chunks hold at most {@code maxChunk} keys (small values for tests). */
    SortedScores(int maxChunk) {
        if (maxChunk < 1) {
            throw new IllegalArgumentException("Invalid chunk size: " + maxChunk);
        }
        this.maxChunk = maxChunk;
    }

    /**
     * Called once per tie group, from the highest score down, with counts that are cumulative
     * over all samples whose score is at or above {@code score}.
     */
    interface GroupVisitor {
        /**
         * @param score the tie group's score (the threshold)
         * @param positives anomalous samples with a score at or above {@code score}
         * @param negatives normal samples with a score at or above {@code score}
         * @param overlapSum sum over those anomalous samples of 1 / (size of their region); only
         *     computed when region sizes were given to {@link #walk}, otherwise 0
         * @return whether to continue with the next (lower) tie group
         */
        boolean group(float score, long positives, long negatives, double overlapSum);
    }

    /**
     * Maps a finite float to an int whose signed order equals the float order; -0 and +0 map to
     * the same value so that they form one tie group.
     */
    static int sortableBits(float score) {
        int bits = Float.floatToRawIntBits(score == 0f ? 0f : score);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** Inverse of {@link #sortableBits(float)}. */
    static float fromSortableBits(int sortable) {
        return Float.intBitsToFloat(sortable ^ ((sortable >> 31) & 0x7fffffff));
    }

    /** Packs a score and an unsigned 32-bit payload into one key. */
    static long key(float score, int payload) {
        return ((long) sortableBits(score) << 32) | (payload & 0xffffffffL);
    }

    /** Appends one key. */
    void add(long key) {
        int c = chunkCount - 1;
        if (c < 0 || lengths[c] == chunks[c].length) {
            if (c < 0 || chunks[c].length == maxChunk) {
                c = newChunk();
            } else {
                chunks[c] = Arrays.copyOf(chunks[c], Math.min(maxChunk, chunks[c].length * 2));
            }
        }
        chunks[c][lengths[c]++] = key;
        if (sortedBelow > c) {
            sortedBelow = c;
        }
        size++;
    }

    private int newChunk() {
        if (chunkCount == chunks.length) {
            chunks = Arrays.copyOf(chunks, chunkCount * 2);
            lengths = Arrays.copyOf(lengths, chunkCount * 2);
        }
        chunks[chunkCount] = new long[Math.min(FIRST_CAPACITY, maxChunk)];
        lengths[chunkCount] = 0;
        return chunkCount++;
    }

    /** @return number of keys stored */
    long size() {
        return size;
    }

    /**
     * Sorts, by score, every chunk that changed since the last call (keys with equal scores stay in
     * any order: the payload never affects a metric). Uses an LSD radix sort over the 32 score bits
     * with one temporary buffer of the largest chunk's size (at most 32 MiB).
     */
    void sort() {
        long[] buffer = null;
        for (int c = sortedBelow; c < chunkCount; c++) {
            int n = lengths[c];
            if (n < 512) {
                Arrays.sort(chunks[c], 0, n);
                continue;
            }
            if (buffer == null || buffer.length < n) {
                buffer = new long[n];
            }
            radixSortByScore(chunks[c], n, buffer);
        }
        sortedBelow = chunkCount;
    }

    /** Sorts {@code a[0..n)} ascending by the signed upper 32 bits, 8 bits per pass. */
    static void radixSortByScore(long[] a, int n, long[] buffer) {
        int[][] counts = new int[4][256];
        for (int i = 0; i < n; i++) {
            long k = a[i];
            counts[0][(int) (k >>> 32) & 0xff]++;
            counts[1][(int) (k >>> 40) & 0xff]++;
            counts[2][(int) (k >>> 48) & 0xff]++;
            counts[3][((int) (k >>> 56) & 0xff) ^ 0x80]++;
        }
        long[] src = a;
        long[] dst = buffer;
        for (int pass = 0; pass < 4; pass++) {
            int shift = 32 + 8 * pass;
            int flip = pass == 3 ? 0x80 : 0;
            int[] count = counts[pass];
            if (count[((int) (src[0] >>> shift) & 0xff) ^ flip] == n) {
                continue; // every key has the same byte here
            }
            int[] offset = new int[256];
            for (int b = 1; b < 256; b++) {
                offset[b] = offset[b - 1] + count[b - 1];
            }
            for (int i = 0; i < n; i++) {
                long k = src[i];
                dst[offset[((int) (k >>> shift) & 0xff) ^ flip]++] = k;
            }
            long[] t = src;
            src = dst;
            dst = t;
        }
        if (src != a) {
            System.arraycopy(src, 0, a, 0, n);
        }
    }

    /**
     * Walks all keys from the highest score down (sorting first if needed) and reports every tie
     * group to the visitor, in a single pass (a k-way merge of the sorted chunks).
     *
     * @param regionSizes size of region k at index k-1, or null to skip the overlap sum
     * @param visitor receives the cumulative counts after each tie group
     */
    void walk(int[] regionSizes, GroupVisitor visitor) {
        sort();
        if (size == 0) {
            return;
        }
        // Max-heap of the chunks' current (largest unread) keys, with the chunk each came from.
        int[] pos = new int[chunkCount];
        long[] heapKey = new long[chunkCount];
        int[] heapChunk = new int[chunkCount];
        int heapSize = 0;
        for (int c = 0; c < chunkCount; c++) {
            pos[c] = lengths[c] - 1;
            if (pos[c] >= 0) {
                heapKey[heapSize] = chunks[c][pos[c]];
                heapChunk[heapSize++] = c;
            }
        }
        for (int i = heapSize / 2 - 1; i >= 0; i--) {
            siftDown(heapKey, heapChunk, heapSize, i);
        }
        long positives = 0;
        long negatives = 0;
        double sum = 0;
        double compensation = 0;
        int currentGroup = (int) (heapKey[0] >> 32);
        while (heapSize > 0) {
            long key = heapKey[0];
            int c = heapChunk[0];
            int p = --pos[c];
            if (p >= 0) {
                heapKey[0] = chunks[c][p];
            } else {
                heapSize--;
                heapKey[0] = heapKey[heapSize];
                heapChunk[0] = heapChunk[heapSize];
            }
            if (heapSize > 1) {
                siftDown(heapKey, heapChunk, heapSize, 0);
            }
            int group = (int) (key >> 32);
            if (group != currentGroup) {
                if (!visitor.group(fromSortableBits(currentGroup), positives, negatives,
                        sum + compensation)) {
                    return;
                }
                currentGroup = group;
            }
            int payload = (int) key;
            if (payload == 0) {
                negatives++;
            } else {
                positives++;
                if (regionSizes != null) {
                    // Neumaier compensated summation: the sum runs over up to ~1e8 small terms.
                    double term = 1.0 / regionSizes[payload - 1];
                    double t = sum + term;
                    if (Math.abs(sum) >= term) {
                        compensation += (sum - t) + term;
                    } else {
                        compensation += (term - t) + sum;
                    }
                    sum = t;
                }
            }
        }
        visitor.group(fromSortableBits(currentGroup), positives, negatives, sum + compensation);
    }

    private static void siftDown(long[] heapKey, int[] heapChunk, int heapSize, int i) {
        long key = heapKey[i];
        int chunk = heapChunk[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) {
                break;
            }
            long childKey = heapKey[child];
            if (child + 1 < heapSize && heapKey[child + 1] > childKey) {
                child++;
                childKey = heapKey[child];
            }
            if (childKey <= key) {
                break;
            }
            heapKey[i] = childKey;
            heapChunk[i] = heapChunk[child];
            i = child;
        }
        heapKey[i] = key;
        heapChunk[i] = chunk;
    }
}
