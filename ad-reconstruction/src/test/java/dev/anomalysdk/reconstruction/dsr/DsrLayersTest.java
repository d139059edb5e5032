package dev.anomalysdk.reconstruction.dsr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.training.TrainingLoop;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DSR's building blocks against plain-Java computations of their definitions. */
class DsrLayersTest {
    static final int CODES = 32;
    static final int DIM = 16;

    @BeforeAll
    static void engine() {
        DjlEnvironment.engine();
        JniUtils.setNumThreads(1);
    }

    private static float[] gaussian(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void quantizationPicksTheNearestCode() {
        try (NDManager m = NDManager.newBaseManager()) {
            VectorQuantizer vq = new VectorQuantizer(CODES, DIM, 3);
            vq.initialize(m, DataType.FLOAT32, new Shape(2, DIM, 3, 4));
            float[] book = vq.codebook().getArray().toFloatArray();
            float[] z = gaussian(2 * DIM * 3 * 4, new Random(7));
            NDArray input = m.create(z, new Shape(2, DIM, 3, 4));
            long[] idx = vq.indices(input).toLongArray();
            float[] q = vq.forward(new ParameterStore(m, false), new NDList(input), false).head().toFloatArray();
            for (int n = 0; n < 2; n++) {
                for (int p = 0; p < 12; p++) {
                    int best = -1;
                    double bestD = Double.MAX_VALUE;
                    for (int k = 0; k < CODES; k++) {
                        double d = 0;
                        for (int e = 0; e < DIM; e++) {
                            double diff = z[(n * DIM + e) * 12 + p] - book[k * DIM + e];
                            d += diff * diff;
                        }
                        if (d < bestD) {
                            bestD = d;
                            best = k;
                        }
                    }
                    assertEquals(best, idx[n * 12 + p], "position " + n + "/" + p);
                    for (int e = 0; e < DIM; e++) {
                        assertEquals(book[best * DIM + e], q[(n * DIM + e) * 12 + p], 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void theFirstEmaUpdateStartsTheCodebookFromDistinctFeaturesOfTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            VectorQuantizer vq = new VectorQuantizer(CODES, DIM, 3);
            vq.initialize(m, DataType.FLOAT32, new Shape(1, DIM, 16, 16));
            vq.updating(true);
            assertArrayEquals(new float[CODES * DIM], vq.emaSums().getArray().toFloatArray(), "EMA sums start at 0");
            float[] z = gaussian(DIM * 256, new Random(8));
            vq.forward(new ParameterStore(m, false), new NDList(m.create(z, new Shape(1, DIM, 16, 16))), true);
            float[] sizes = vq.clusterSizes().getArray().toFloatArray();
            float[] sums = vq.emaSums().getArray().toFloatArray();
            float[] book = vq.codebook().getArray().toFloatArray();
            // 256 positions for 32 codes: no code reaches a cluster size of 1 in one step of decay 0.99 (it would
            // need 100 positions), so every code restarts, each at another feature, with cluster size 1.
            java.util.Set<Integer> used = new java.util.HashSet<>();
            for (int k = 0; k < CODES; k++) {
                assertEquals(1, sizes[k], 1e-6);
                int match = featureIndex(z, 256, book, k);
                assertTrue(match >= 0, "code " + k + " is a feature of the batch");
                assertTrue(used.add(match), "code " + k + " repeats feature " + match);
                for (int e = 0; e < DIM; e++) {
                    assertEquals(book[k * DIM + e], sums[k * DIM + e], 1e-6);
                }
            }
        }
    }

    @Test
    void emaUpdateMovesUsedCodesAndRestartsUnusedOnes() {
        try (NDManager m = NDManager.newBaseManager()) {
            VectorQuantizer vq = new VectorQuantizer(CODES, DIM, 3);
            int positions = 256;
            vq.initialize(m, DataType.FLOAT32, new Shape(1, DIM, 16, 16));
            vq.updating(true);
            ParameterStore store = new ParameterStore(m, false);
            vq.forward(store, new NDList(m.create(gaussian(DIM * positions, new Random(8)), new Shape(1, DIM, 16, 16))),
                    true);
            float[] sizesBefore = vq.clusterSizes().getArray().toFloatArray();
            float[] sumsBefore = vq.emaSums().getArray().toFloatArray();
            // The second batch is one tight cluster: a few codes take all of it, the others go unused.
            float[] z = gaussian(DIM * positions, new Random(9));
            float[] centre = gaussian(DIM, new Random(10));
            for (int e = 0; e < DIM; e++) {
                for (int p = 0; p < positions; p++) {
                    z[e * positions + p] = centre[e] + 0.3f * z[e * positions + p];
                }
            }
            NDArray input = m.create(z, new Shape(1, DIM, 16, 16));
            long[] idx = vq.indices(input).toLongArray();
            vq.forward(store, new NDList(input), true);
            float[] sizes = vq.clusterSizes().getArray().toFloatArray();
            float[] sums = vq.emaSums().getArray().toFloatArray();
            float[] book = vq.codebook().getArray().toFloatArray();
            // Independent computation of one step.
            double[] counts = new double[CODES];
            for (long k : idx) {
                counts[(int) k]++;
            }
            double[] raw = new double[CODES];
            double total = 0;
            for (int k = 0; k < CODES; k++) {
                raw[k] = VectorQuantizer.DECAY * sizesBefore[k] + (1 - VectorQuantizer.DECAY) * counts[k];
                total += raw[k];
            }
            // Jukebox's threshold of 1, as the batch has at least 2 positions per code.
            assertEquals(1, VectorQuantizer.deadSize(positions, CODES));
            assertEquals(0.25, VectorQuantizer.deadSize(16, CODES), 1e-9);
            int live = 0;
            int restarted = 0;
            for (int k = 0; k < CODES; k++) {
                double smoothed = (raw[k] + VectorQuantizer.EPS) / (total + CODES * VectorQuantizer.EPS) * total;
                if (smoothed < 1) {
                    restarted++;
                    assertEquals(1, sizes[k], 1e-6);
                    assertTrue(featureIndex(z, positions, book, k) >= 0, "restarted code " + k);
                    continue;
                }
                live++;
                assertEquals(smoothed, sizes[k], 1e-5);
                for (int e = 0; e < DIM; e++) {
                    double assigned = 0;
                    for (int p = 0; p < positions; p++) {
                        if (idx[p] == k) {
                            assigned += z[e * positions + p];
                        }
                    }
                    double s = VectorQuantizer.DECAY * sumsBefore[k * DIM + e] + (1 - VectorQuantizer.DECAY) * assigned;
                    assertEquals(s, sums[k * DIM + e], 1e-5);
                    assertEquals(s / smoothed, book[k * DIM + e], 1e-4);
                }
            }
            assertTrue(live > 0 && restarted > 0, live + " live, " + restarted + " restarted");
        }
    }

    /** @return the position whose feature (in a 1 x DIM x positions array) equals code k, or -1 */
    private static int featureIndex(float[] z, int positions, float[] book, int k) {
        for (int p = 0; p < positions; p++) {
            boolean same = true;
            for (int e = 0; e < DIM; e++) {
                same &= Math.abs(z[e * positions + p] - book[k * DIM + e]) < 1e-6;
            }
            if (same) {
                return p;
            }
        }
        return -1;
    }

    @Test
    void transposedConvolutionMatchesPyTorchsDefinition() {
        int in = 3;
        int out = 2;
        int h = 3;
        int w = 4;
        Random r = new Random(5);
        float[] pt = gaussian(in * out * 16, r);
        float[] bias = gaussian(out, r);
        float[] x = gaussian(in * h * w, r);
        try (NDManager m = NDManager.newBaseManager()) {
            TransposedConv2d t = new TransposedConv2d(out);
            t.initialize(m, DataType.FLOAT32, new Shape(1, in, h, w));
            t.weight().getArray().set(FloatBuffer.wrap(TransposedConv2d.fromPyTorch(pt, in, out)));
            t.bias().getArray().set(FloatBuffer.wrap(bias));
            NDArray y = t.forward(new ParameterStore(m, false), new NDList(m.create(x, new Shape(1, in, h, w))), false)
                    .head();
            assertEquals(new Shape(1, out, 2 * h, 2 * w), y.getShape());
            // ConvTranspose2d(k 4, s 2, p 1): input (i, a, b) with kernel (ky, kx) lands at (2a + ky - 1, 2b + kx - 1).
            double[] expected = new double[out * 4 * h * w];
            for (int o = 0; o < out; o++) {
                for (int p = 0; p < 4 * h * w; p++) {
                    expected[o * 4 * h * w + p] = bias[o];
                }
            }
            for (int i = 0; i < in; i++) {
                for (int o = 0; o < out; o++) {
                    for (int a = 0; a < h; a++) {
                        for (int b = 0; b < w; b++) {
                            for (int ky = 0; ky < 4; ky++) {
                                for (int kx = 0; kx < 4; kx++) {
                                    int yy = 2 * a + ky - 1;
                                    int xx = 2 * b + kx - 1;
                                    if (yy >= 0 && yy < 2 * h && xx >= 0 && xx < 2 * w) {
                                        expected[(o * 2 * h + yy) * 2 * w + xx] +=
                                                x[(i * h + a) * w + b] * pt[((i * out + o) * 4 + ky) * 4 + kx];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            float[] got = y.toFloatArray();
            for (int k = 0; k < got.length; k++) {
                assertEquals(expected[k], got[k], 1e-4, "output " + k);
            }
            assertArrayEquals(pt, TransposedConv2d.toPyTorch(TransposedConv2d.fromPyTorch(pt, in, out), in, out));
        }
    }

    @Test
    void anomaliesReplaceOnlyTheCodesUnderTheMaskWithFartherCodes() {
        int n = 2;
        int side = 4;
        int image = 16;
        try (NDManager m = NDManager.newBaseManager()) {
            VectorQuantizer vq = new VectorQuantizer(CODES, DIM, 3);
            vq.initialize(m, DataType.FLOAT32, new Shape(n, DIM, side, side));
            float[] book = vq.codebook().getArray().toFloatArray();
            Random r = new Random(11);
            float[] z = gaussian(n * DIM * side * side, r);
            NDArray features = m.create(z, new Shape(n, DIM, side, side));
            NDArray quantized = vq.forward(new ParameterStore(m, false), new NDList(features), false).head();
            float[] q = quantized.toFloatArray();
            // Mask: in image 0 the top-left 8 x 8 pixels (feature cells (0..1, 0..1)); one pixel at (13, 2) in image 1.
            float[] mask = new float[n * image * image];
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    mask[y * image + x] = 1;
                }
            }
            mask[image * image + 13 * image + 2] = 1;
            long[] ranks = QuantizedAnomalies.ranks(n, side * side, CODES, new Random(2));
            NDArray out = QuantizedAnomalies.generate(vq, features, quantized,
                    m.create(mask, new Shape(n, 1, image, image)), m.create(ranks, new Shape(ranks.length, 1)));
            float[] o = out.toFloatArray();
            int changed = 0;
            for (int b = 0; b < n; b++) {
                for (int cy = 0; cy < side; cy++) {
                    for (int cx = 0; cx < side; cx++) {
                        boolean masked = b == 0 ? cy < 2 && cx < 2 : cy == 3 && cx == 0;
                        int p = cy * side + cx;
                        float[] orig = column(q, b, p, side * side);
                        float[] now = column(o, b, p, side * side);
                        if (!masked) {
                            assertArrayEquals(orig, now, "unmasked cell " + b + "/" + p + " must keep its code");
                            continue;
                        }
                        changed++;
                        assertNotEquals(orig[0], now[0], "masked cell " + b + "/" + p + " must change");
                        // The new code is a codebook row whose distance rank is the drawn rank (>= 5 % of K).
                        double[] d = new double[CODES];
                        float[] feat = column(z, b, p, side * side);
                        int match = -1;
                        for (int k = 0; k < CODES; k++) {
                            for (int e = 0; e < DIM; e++) {
                                d[k] += Math.pow(feat[e] - book[k * DIM + e], 2);
                            }
                            if (Math.abs(book[k * DIM] - now[0]) < 1e-6 && Math.abs(book[k * DIM + 1] - now[1]) < 1e-6) {
                                match = k;
                            }
                        }
                        assertTrue(match >= 0, "replacement is a code");
                        int rank = 0;
                        for (int k = 0; k < CODES; k++) {
                            if (d[k] < d[match]) {
                                rank++;
                            }
                        }
                        assertEquals(ranks[b * side * side + p], rank);
                        assertTrue(rank >= (int) (CODES * QuantizedAnomalies.SKIP_NEAREST));
                    }
                }
            }
            assertEquals(5, changed);
        }
    }

    private static float[] column(float[] nchw, int b, int p, int plane) {
        float[] v = new float[DIM];
        for (int e = 0; e < DIM; e++) {
            v[e] = nchw[(b * DIM + e) * plane + p];
        }
        return v;
    }

    @Test
    void vqFilesRoundTripEveryOfficialTensor(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            VqModel a = new VqModel(8, 4, 2, CODES, DIM, 1);
            TrainingLoop.initialize(a, m, 1, new Shape(1, 3, 32, 32));
            VqFiles.save(dir, a, new VqFiles.Architecture(8, 4, 2, DIM, CODES, "test"));
            VqModel b = new VqModel(8, 4, 2, CODES, DIM, 2);
            TrainingLoop.initialize(b, m, 2, new Shape(1, 3, 32, 32));
            VqFiles.load(dir, b);
            // 6 + 4 (high encoder), 4 + 4 (low encoder), 4 (1x1 projections), 6 (codebooks), 10 (decoder), 2 (upsample).
            assertEquals(40, a.parameters().size());
            assertEquals(a.getParameters().size(), a.parameters().size(), "every parameter has an official name");
            for (Map.Entry<String, Parameter> e : a.parameters().entrySet()) {
                assertArrayEquals(e.getValue().getArray().toFloatArray(),
                        b.parameters().get(e.getKey()).getArray().toFloatArray(), e.getKey());
            }
            assertTrue(dir.resolve("upsample_t.weight.npy").toFile().isFile());
            assertTrue(dir.resolve("_decoder_b._residual_stack._layers.1._block.3.weight.npy").toFile().isFile());
        }
    }
}
