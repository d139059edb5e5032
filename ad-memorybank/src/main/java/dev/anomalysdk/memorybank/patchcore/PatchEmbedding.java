package dev.anomalysdk.memorybank.patchcore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * PatchCore's locally aware patch features, computed as the official implementation does
 * ({@code PatchMaker}, {@code MeanMapper}, {@code Aggregator} of patchcore-inspection):
 * <ol>
 *   <li>every position of each layer's feature map takes its {@code p x p} neighbourhood (unfold with
 *       stride 1 and zero padding {@code p/2}), flattened channel-major to {@code C*p*p} values;</li>
 *   <li>each layer's flattened neighbourhood is adaptive-average-pooled to {@code layerDim} values
 *       (PyTorch {@code adaptive_avg_pool1d}: output {@code i} averages inputs
 *       {@code [floor(i*L/M), ceil((i+1)*L/M))});</li>
 *   <li>deeper layers are bilinearly resized (align_corners=False) to the first layer's grid;</li>
 *   <li>the layers' vectors are concatenated and pooled again to {@code targetDim}.</li>
 * </ol>
 * Pooling and resizing are both linear and act on different axes, so pooling first (on the coarse grid)
 * and resizing second gives the same features as the official order, at a fraction of the cost.
 *
 * <p>The work is done in Java on channel planes: each pooled output is a sum of a few shifted input planes
 * (the {@code p x p} offsets of the channels its bin covers), so the inner loops run along image rows and
 * vectorize, and no neighbourhood vector is ever gathered. Images and blocks of outputs are spread over the
 * common fork-join pool. Summation order per output is the official one (bin elements in unfold order), so
 * the result does not depend on the number of threads.
 *
 * <p>Immutable and thread-safe.
 *
 * @param layers backbone layers, shallow first; the first sets the patch grid
 * @param patchSize odd neighbourhood side (3)
 * @param layerDim per-layer pooled dimension ({@code pretrain_embed_dimension}, 1024)
 * @param targetDim final dimension ({@code target_embed_dimension}, 1024)
 */
record PatchEmbedding(List<String> layers, int patchSize, int layerDim, int targetDim) {

    /** Pooled outputs computed per parallel task: enough work to amortize scheduling, small enough to balance. */
    private static final int OUTPUTS_PER_TASK = 64;

    PatchEmbedding {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("PatchCore needs at least one backbone layer");
        }
        if (patchSize < 1 || patchSize % 2 == 0) {
            throw new IllegalArgumentException("Invalid patch size " + patchSize + " (must be odd and positive)");
        }
    }

    /**
     * Patch features of a batch.
     *
     * @param images number of images in the batch
     * @param gridHeight patch grid rows (the first layer's height)
     * @param gridWidth patch grid columns
     * @param values {@code images x gridHeight x gridWidth x targetDim}, row-major
     */
    record Patches(int images, int gridHeight, int gridWidth, int dim, float[] values) {
        /** @return patches per image */
        int perImage() {
            return gridHeight * gridWidth;
        }
    }

    /**
     * @param features the backbone's feature maps (NCHW) by layer name
     * @return the batch's patch features
     */
    Patches embed(Map<String, NDArray> features) {
        int n = -1;
        int gh = -1;
        int gw = -1;
        // Per layer: images x layerDim planes of gh x gw, i.e. NCHW with C = layerDim.
        float[][] pooled = new float[layers.size()][];
        for (int l = 0; l < layers.size(); l++) {
            NDArray f = features.get(layers.get(l));
            if (f == null) {
                throw new IllegalArgumentException("The backbone has no layer '" + layers.get(l) + "'; it returns "
                        + features.keySet());
            }
            Shape s = f.getShape();
            if (s.dimension() != 4) {
                throw new IllegalArgumentException("Layer '" + layers.get(l) + "' is not NCHW: " + s);
            }
            int b = (int) s.get(0);
            int c = (int) s.get(1);
            int h = (int) s.get(2);
            int w = (int) s.get(3);
            float[] p = unfoldAndPool(f.toType(DataType.FLOAT32, false).toFloatArray(), b, c, h, w);
            if (l == 0) {
                n = b;
                gh = h;
                gw = w;
            } else if (h != gh || w != gw) {
                p = resizePlanes(p, b * layerDim, h, w, gh, gw);
            }
            pooled[l] = p;
        }
        return new Patches(n, gh, gw, targetDim, stackAndPool(pooled, n, gh * gw));
    }

    /**
     * Unfolds each position's neighbourhood (channel-major, zero padded) and pools it to {@code layerDim}:
     * {@code b x layerDim} planes of {@code h x w}. Output {@code o} is the mean of the unfold entries
     * {@code k} in its bin; entry {@code k} is channel {@code k / (p*p)} shifted by the offset {@code k % (p*p)}.
     */
    private float[] unfoldAndPool(float[] v, int b, int c, int h, int w) {
        int p = patchSize;
        int window = p * p;
        int plane = h * w;
        int[][] bins = bins(c * window, layerDim);
        float[] out = new float[b * layerDim * plane];
        forEachBlock(b, layerDim, (i, from, to) -> {
            for (int o = from; o < to; o++) {
                int dst = (i * layerDim + o) * plane;
                for (int k = bins[o][0]; k < bins[o][1]; k++) {
                    int ch = k / window;
                    int dy = k % window / p - p / 2;
                    int dx = k % window % p - p / 2;
                    addShifted(v, (i * c + ch) * plane, h, w, dy, dx, out, dst);
                }
                divide(out, dst, plane, bins[o][1] - bins[o][0]);
            }
        });
        return out;
    }

    /** {@code out[y][x] += in[y + dy][x + dx]} over one plane, treating positions outside as zero. */
    private static void addShifted(float[] in, int src, int h, int w, int dy, int dx, float[] out, int dst) {
        int y0 = Math.max(0, -dy);
        int y1 = Math.min(h, h - dy);
        int x0 = Math.max(0, -dx);
        int x1 = Math.min(w, w - dx);
        for (int y = y0; y < y1; y++) {
            int o = dst + y * w;
            int s = src + (y + dy) * w + dx;
            for (int x = x0; x < x1; x++) {
                out[o + x] += in[s + x];
            }
        }
    }

    private static void divide(float[] a, int offset, int length, int divisor) {
        for (int j = offset; j < offset + length; j++) {
            a[j] /= divisor;
        }
    }

    /**
     * Concatenates the layers' pooled planes ({@code layers x layerDim} per image) and pools them to
     * {@code targetDim}, returning the row-major {@code images x positions x targetDim} patch matrix.
     */
    private float[] stackAndPool(float[][] pooled, int images, int positions) {
        int[][] bins = bins(layerDim * pooled.length, targetDim);
        float[] out = new float[images * positions * targetDim];
        forEachBlock(images, targetDim, (i, from, to) -> {
            float[] acc = new float[positions];
            for (int t = from; t < to; t++) {
                Arrays.fill(acc, 0f);
                for (int k = bins[t][0]; k < bins[t][1]; k++) {
                    float[] layer = pooled[k / layerDim];
                    int src = (i * layerDim + k % layerDim) * positions;
                    for (int j = 0; j < positions; j++) {
                        acc[j] += layer[src + j];
                    }
                }
                int count = bins[t][1] - bins[t][0];
                int dst = i * positions * targetDim + t;
                for (int j = 0; j < positions; j++) {
                    out[dst + j * targetDim] = acc[j] / count;
                }
            }
        });
        return out;
    }

    /** Work on outputs {@code [from, to)} of image {@code image}. */
    @FunctionalInterface
    private interface Block {
        void run(int image, int from, int to);
    }

    /** Runs {@code block} over every image and block of {@code outputs}, in parallel. */
    private static void forEachBlock(int images, int outputs, Block block) {
        int perImage = (outputs + OUTPUTS_PER_TASK - 1) / OUTPUTS_PER_TASK;
        IntStream.range(0, images * perImage).parallel().forEach(task -> {
            int from = task % perImage * OUTPUTS_PER_TASK;
            block.run(task / perImage, from, Math.min(outputs, from + OUTPUTS_PER_TASK));
        });
    }

    /** {@code adaptive_avg_pool1d} bins: {@code [start, end)} per output. */
    static int[][] bins(int length, int outputs) {
        int[][] b = new int[outputs][2];
        for (int o = 0; o < outputs; o++) {
            b[o][0] = (int) ((long) o * length / outputs);
            b[o][1] = (int) (((long) (o + 1) * length + outputs - 1) / outputs);
        }
        return b;
    }

    /** Bilinear resize (align_corners=False) of {@code planes} planes from h x w to oh x ow. */
    static float[] resizePlanes(float[] in, int planes, int h, int w, int oh, int ow) {
        int[] y0 = new int[oh];
        int[] y1 = new int[oh];
        float[] fy = new float[oh];
        grid(h, oh, y0, y1, fy);
        int[] x0 = new int[ow];
        int[] x1 = new int[ow];
        float[] fx = new float[ow];
        grid(w, ow, x0, x1, fx);
        float[] out = new float[planes * oh * ow];
        IntStream.range(0, planes).parallel().forEach(q -> {
            int src = q * h * w;
            int dst = q * oh * ow;
            for (int y = 0; y < oh; y++) {
                int r0 = src + y0[y] * w;
                int r1 = src + y1[y] * w;
                float wy1 = fy[y];
                float wy0 = 1 - wy1;
                for (int x = 0; x < ow; x++) {
                    float wx1 = fx[x];
                    float wx0 = 1 - wx1;
                    out[dst + y * ow + x] = wy0 * (wx0 * in[r0 + x0[x]] + wx1 * in[r0 + x1[x]])
                            + wy1 * (wx0 * in[r1 + x0[x]] + wx1 * in[r1 + x1[x]]);
                }
            }
        });
        return out;
    }

    /** PyTorch's source coordinates for align_corners=False. */
    private static void grid(int in, int out, int[] i0, int[] i1, float[] frac) {
        for (int o = 0; o < out; o++) {
            double src = Math.max(0, (o + 0.5) * in / (double) out - 0.5);
            int lo = Math.min((int) Math.floor(src), in - 1);
            i0[o] = lo;
            i1[o] = Math.min(lo + 1, in - 1);
            frac[o] = (float) (src - lo);
        }
    }
}
