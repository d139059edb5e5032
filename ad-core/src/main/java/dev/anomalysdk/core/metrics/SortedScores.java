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
 * sort) and walked with a k-way merge, so no second copy of the data is ever made.
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

    /** Sorts every chunk that changed since the last call. */
    void sort() {
        for (int c = sortedBelow; c < chunkCount; c++) {
            Arrays.sort(chunks[c], 0, lengths[c]);
        }
        sortedBelow = chunkCount;
    }

    /**
     * Walks all keys from the highest score down (sorting first if needed) and reports every tie
     * group to the visitor, in a single pass.
     *
     * @param regionSizes size of region k at index k-1, or null to skip the overlap sum
     * @param visitor receives the cumulative counts after each tie group
     */
    void walk(int[] regionSizes, GroupVisitor visitor) {
        sort();
        if (size == 0) {
            return;
        }
        // Max-heap of chunk indices keyed by the chunk's current (largest unread) key.
        int[] pos = new int[chunkCount];
        int[] heap = new int[chunkCount];
        int heapSize = 0;
        for (int c = 0; c < chunkCount; c++) {
            pos[c] = lengths[c] - 1;
            if (pos[c] >= 0) {
                heap[heapSize++] = c;
            }
        }
        for (int i = heapSize / 2 - 1; i >= 0; i--) {
            siftDown(heap, heapSize, i, pos);
        }
        long positives = 0;
        long negatives = 0;
        double sum = 0;
        double compensation = 0;
        int currentGroup = 0;
        boolean started = false;
        while (heapSize > 0) {
            int c = heap[0];
            long key = chunks[c][pos[c]];
            if (--pos[c] < 0) {
                heap[0] = heap[--heapSize];
            }
            if (heapSize > 1) {
                siftDown(heap, heapSize, 0, pos);
            }
            int group = (int) (key >> 32);
            if (started && group != currentGroup) {
                if (!visitor.group(fromSortableBits(currentGroup), positives, negatives,
                        sum + compensation)) {
                    return;
                }
            }
            currentGroup = group;
            started = true;
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

    private void siftDown(int[] heap, int heapSize, int i, int[] pos) {
        int item = heap[i];
        long itemKey = chunks[item][pos[item]];
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) {
                break;
            }
            long childKey = chunks[heap[child]][pos[heap[child]]];
            if (child + 1 < heapSize) {
                long rightKey = chunks[heap[child + 1]][pos[heap[child + 1]]];
                if (rightKey > childKey) {
                    child++;
                    childKey = rightKey;
                }
            }
            if (childKey <= itemKey) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
