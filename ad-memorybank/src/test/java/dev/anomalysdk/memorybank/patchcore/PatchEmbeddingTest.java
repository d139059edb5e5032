package dev.anomalysdk.memorybank.patchcore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The plane-based, parallel {@link PatchEmbedding} against a direct transcription of the definition: gather
 * each position's zero-padded neighbourhood vector (channel-major), average its bins, resize deeper layers
 * bilinearly, concatenate and average again. Both sum every bin in the same order, so they agree exactly.
 */
class PatchEmbeddingTest {

    @Test
    void equalsTheDirectDefinitionForUnevenBinsGridsAndBatches() {
        // 5*9 = 45 -> 16 bins (uneven, overlapping), 3*9 = 27 -> 16 bins, 32 -> 12 final bins; 7x5 and 4x3 grids.
        check(List.of(new int[] {5, 7, 5}, new int[] {3, 4, 3}), 3, 16, 12, 3);
        // Single layer, 5x5 neighbourhood, more bins than inputs (bins repeat inputs), one image.
        check(List.of(new int[] {2, 6, 6}), 5, 64, 64, 1);
        // The official shape ratios (C*9/1024 = 4.5 and 9) at a small grid.
        check(List.of(new int[] {512, 6, 6}, new int[] {1024, 3, 3}), 3, 1024, 1024, 2);
    }

    private static void check(List<int[]> layerShapes, int patch, int layerDim, int targetDim, int images) {
        SplittableRandom random = new SplittableRandom(7);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> features = new LinkedHashMap<>();
            List<float[]> raw = new java.util.ArrayList<>();
            for (int l = 0; l < layerShapes.size(); l++) {
                int[] s = layerShapes.get(l);
                float[] v = new float[images * s[0] * s[1] * s[2]];
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) random.nextGaussian();
                }
                raw.add(v);
                features.put("l" + l, m.create(v, new Shape(images, s[0], s[1], s[2])));
            }
            List<String> names = List.copyOf(features.keySet());
            PatchEmbedding.Patches p = new PatchEmbedding(names, patch, layerDim, targetDim).embed(features);
            assertEquals(images, p.images());
            assertEquals(layerShapes.get(0)[1], p.gridHeight());
            assertEquals(layerShapes.get(0)[2], p.gridWidth());
            assertArrayEquals(direct(raw, layerShapes, images, patch, layerDim, targetDim), p.values());
        }
    }

    /** The definition, position by position. */
    private static float[] direct(List<float[]> raw, List<int[]> shapes, int images, int patch, int layerDim,
            int targetDim) {
        int gh = shapes.get(0)[1];
        int gw = shapes.get(0)[2];
        float[][] perLayer = new float[raw.size()][];
        for (int l = 0; l < raw.size(); l++) {
            int c = shapes.get(l)[0];
            int h = shapes.get(l)[1];
            int w = shapes.get(l)[2];
            int r = patch / 2;
            int length = c * patch * patch;
            float[] pooled = new float[images * h * w * layerDim];
            for (int i = 0; i < images; i++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float[] nb = new float[length];
                        int k = 0;
                        for (int ch = 0; ch < c; ch++) {
                            for (int dy = -r; dy <= r; dy++) {
                                for (int dx = -r; dx <= r; dx++) {
                                    int yy = y + dy;
                                    int xx = x + dx;
                                    boolean in = yy >= 0 && yy < h && xx >= 0 && xx < w;
                                    nb[k++] = in ? raw.get(l)[((i * c + ch) * h + yy) * w + xx] : 0f;
                                }
                            }
                        }
                        meanBins(nb, layerDim, pooled, ((i * h + y) * w + x) * layerDim);
                    }
                }
            }
            perLayer[l] = h == gh && w == gw ? pooled : resizeRows(pooled, images, h, w, gh, gw, layerDim);
        }
        float[] out = new float[images * gh * gw * targetDim];
        float[] stacked = new float[layerDim * raw.size()];
        for (int pos = 0; pos < images * gh * gw; pos++) {
            for (int l = 0; l < raw.size(); l++) {
                System.arraycopy(perLayer[l], pos * layerDim, stacked, l * layerDim, layerDim);
            }
            meanBins(stacked, targetDim, out, pos * targetDim);
        }
        return out;
    }

    /** adaptive_avg_pool1d: output o averages [floor(o*L/M), ceil((o+1)*L/M)). */
    private static void meanBins(float[] in, int outputs, float[] out, int offset) {
        int length = in.length;
        for (int o = 0; o < outputs; o++) {
            int s = (int) Math.floor((double) o * length / outputs);
            int e = (int) Math.ceil((double) (o + 1) * length / outputs);
            float sum = 0;
            for (int k = s; k < e; k++) {
                sum += in[k];
            }
            out[offset + o] = sum / (e - s);
        }
    }

    /** Bilinear, align_corners=False, on row-major (position, dim) grids. */
    private static float[] resizeRows(float[] in, int images, int h, int w, int oh, int ow, int dim) {
        float[] out = new float[images * oh * ow * dim];
        for (int i = 0; i < images; i++) {
            for (int y = 0; y < oh; y++) {
                double sy = Math.max(0, (y + 0.5) * h / oh - 0.5);
                int ya = Math.min((int) sy, h - 1);
                int yb = Math.min(ya + 1, h - 1);
                float fy = (float) (sy - ya);
                for (int x = 0; x < ow; x++) {
                    double sx = Math.max(0, (x + 0.5) * w / ow - 0.5);
                    int xa = Math.min((int) sx, w - 1);
                    int xb = Math.min(xa + 1, w - 1);
                    float fx = (float) (sx - xa);
                    for (int d = 0; d < dim; d++) {
                        float a = in[((i * h + ya) * w + xa) * dim + d];
                        float b = in[((i * h + ya) * w + xb) * dim + d];
                        float c = in[((i * h + yb) * w + xa) * dim + d];
                        float e = in[((i * h + yb) * w + xb) * dim + d];
                        out[((i * oh + y) * ow + x) * dim + d] = (1 - fy) * ((1 - fx) * a + fx * b)
                                + fy * ((1 - fx) * c + fx * e);
                    }
                }
            }
        }
        return out;
    }
}
