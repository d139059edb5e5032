package dev.anomalysdk.memorybank.patchcore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;

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
 * and resizing second gives the same features as the official order, at a fraction of the cost. The work
 * is done in Java on the feature maps copied from the backbone; it is small next to the backbone itself.
 *
 * <p>Immutable and thread-safe.
 *
 * @param layers backbone layers, shallow first; the first sets the patch grid
 * @param patchSize odd neighbourhood side (3)
 * @param layerDim per-layer pooled dimension ({@code pretrain_embed_dimension}, 1024)
 * @param targetDim final dimension ({@code target_embed_dimension}, 1024)
 */
record PatchEmbedding(List<String> layers, int patchSize, int layerDim, int targetDim) {

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
            float[] v = f.toType(DataType.FLOAT32, false).toFloatArray();
            float[] p = unfoldAndPool(v, b, c, h, w);
            if (l == 0) {
                n = b;
                gh = h;
                gw = w;
            } else if (h != gh || w != gw) {
                p = resizeBilinear(p, b, h, w, gh, gw, layerDim);
            }
            pooled[l] = p;
        }
        int positions = n * gh * gw;
        float[] out = new float[positions * targetDim];
        int total = layerDim * layers.size();
        float[] stacked = new float[total];
        int[][] bins = bins(total, targetDim);
        for (int pos = 0; pos < positions; pos++) {
            for (int l = 0; l < pooled.length; l++) {
                System.arraycopy(pooled[l], pos * layerDim, stacked, l * layerDim, layerDim);
            }
            pool(stacked, 0, bins, out, pos * targetDim);
        }
        return new Patches(n, gh, gw, targetDim, out);
    }

    /** Unfolds each position's neighbourhood and pools it to {@code layerDim}: {@code b*h*w x layerDim}. */
    private float[] unfoldAndPool(float[] v, int b, int c, int h, int w) {
        int p = patchSize;
        int r = p / 2;
        int length = c * p * p;
        int[][] bins = bins(length, layerDim);
        float[] neighbourhood = new float[length];
        float[] out = new float[b * h * w * layerDim];
        int plane = h * w;
        for (int i = 0; i < b; i++) {
            int img = i * c * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int k = 0;
                    for (int ch = 0; ch < c; ch++) {
                        int base = img + ch * plane;
                        for (int dy = -r; dy <= r; dy++) {
                            int yy = y + dy;
                            boolean rowInside = yy >= 0 && yy < h;
                            for (int dx = -r; dx <= r; dx++) {
                                int xx = x + dx;
                                neighbourhood[k++] = rowInside && xx >= 0 && xx < w ? v[base + yy * w + xx] : 0f;
                            }
                        }
                    }
                    pool(neighbourhood, 0, bins, out, ((i * h + y) * w + x) * layerDim);
                }
            }
        }
        return out;
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

    private static void pool(float[] in, int offset, int[][] bins, float[] out, int outOffset) {
        for (int o = 0; o < bins.length; o++) {
            int s = bins[o][0];
            int e = bins[o][1];
            float sum = 0;
            for (int k = s; k < e; k++) {
                sum += in[offset + k];
            }
            out[outOffset + o] = sum / (e - s);
        }
    }

    /** Bilinear resize (align_corners=False) of {@code b} grids of {@code dim}-vectors from h x w to oh x ow. */
    static float[] resizeBilinear(float[] in, int b, int h, int w, int oh, int ow, int dim) {
        int[] y0 = new int[oh];
        int[] y1 = new int[oh];
        float[] fy = new float[oh];
        grid(h, oh, y0, y1, fy);
        int[] x0 = new int[ow];
        int[] x1 = new int[ow];
        float[] fx = new float[ow];
        grid(w, ow, x0, x1, fx);
        float[] out = new float[b * oh * ow * dim];
        for (int i = 0; i < b; i++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int a00 = ((i * h + y0[y]) * w + x0[x]) * dim;
                    int a01 = ((i * h + y0[y]) * w + x1[x]) * dim;
                    int a10 = ((i * h + y1[y]) * w + x0[x]) * dim;
                    int a11 = ((i * h + y1[y]) * w + x1[x]) * dim;
                    float wx1 = fx[x];
                    float wx0 = 1 - wx1;
                    float wy1 = fy[y];
                    float wy0 = 1 - wy1;
                    int o = ((i * oh + y) * ow + x) * dim;
                    for (int d = 0; d < dim; d++) {
                        out[o + d] = wy0 * (wx0 * in[a00 + d] + wx1 * in[a01 + d])
                                + wy1 * (wx0 * in[a10 + d] + wx1 * in[a11 + d]);
                    }
                }
            }
        }
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
