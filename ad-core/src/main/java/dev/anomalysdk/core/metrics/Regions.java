package dev.anomalysdk.core.metrics;

import java.util.Arrays;

/** Labelling of 8-connected defect regions in one binary mask. */
final class Regions {
    private Regions() {
    }

    /**
     * Labels the 8-connected components of the set pixels (pixels touching by an edge or a corner
     * belong to the same region) with a breadth-first flood fill.
     *
     * @param pixels row-major flags, length height*width
     * @param height rows
     * @param width columns
     * @param labels output, same length: 0 for unset pixels, otherwise the region number (1-based,
     *     in order of each region's first pixel in row-major order)
     * @return the size in pixels of region k at index k-1 (the length is the number of regions)
     */
    static int[] label(boolean[] pixels, int height, int width, int[] labels) {
        Arrays.fill(labels, 0);
        int[] queue = null;
        int[] sizes = new int[8];
        int count = 0;
        for (int start = 0; start < pixels.length; start++) {
            if (!pixels[start] || labels[start] != 0) {
                continue;
            }
            if (queue == null) {
                queue = new int[pixels.length];
            }
            int label = ++count;
            labels[start] = label;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            while (head < tail) {
                int p = queue[head++];
                int y = p / width;
                int x = p % width;
                for (int ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
                    for (int nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
                        int q = ny * width + nx;
                        if (pixels[q] && labels[q] == 0) {
                            labels[q] = label;
                            queue[tail++] = q;
                        }
                    }
                }
            }
            if (count > sizes.length) {
                sizes = Arrays.copyOf(sizes, sizes.length * 2);
            }
            sizes[count - 1] = tail;
        }
        return Arrays.copyOf(sizes, count);
    }
}
