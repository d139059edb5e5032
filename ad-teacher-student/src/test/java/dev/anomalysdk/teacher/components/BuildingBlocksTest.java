package dev.anomalysdk.teacher.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.anomalysdk.core.persist.Npy;
import dev.anomalysdk.teacher.TestData;
import dev.anomalysdk.core.training.TrainingLoop;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BuildingBlocksTest {
    @BeforeAll
    static void threads() {
        TestData.singleThreaded();
    }


    private static float[] npy(String name) throws IOException {
        try (InputStream in = BuildingBlocksTest.class.getResourceAsStream("/deconv/" + name)) {
            return Npy.read(in, name, 1 << 16).data();
        }
    }

    @Test
    void deconv2x2MatchesPyTorchsConvTranspose2dWithTheSameWeights() throws IOException {
        // Reference from PyTorch (resources/deconv/make_reference.py): ConvTranspose2d(3, 2, kernel_size=2,
        // stride=2, bias=False), as the official RD decoder uses it, with its weight W in PyTorch's layout
        // [in, out, 2, 2]. A naive loop out[o, 2i+a, 2j+b] = sum_c x[c, i, j] W[c, o, a, b] must give the same,
        // and so must our block after copying W into its 1x1 weight (row (o, a, b), column c).
        int in = 3;
        int out = 2;
        int h = 2;
        int w = 3;
        float[] weight = npy("weight.npy");
        float[] x = npy("input.npy");
        float[] expected = npy("expected.npy");
        float[] naive = new float[out * 2 * h * 2 * w];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    for (int a = 0; a < 2; a++) {
                        for (int b = 0; b < 2; b++) {
                            double v = 0;
                            for (int c = 0; c < in; c++) {
                                v += x[(c * h + i) * w + j] * weight[((c * out + o) * 2 + a) * 2 + b];
                            }
                            naive[(o * 2 * h + 2 * i + a) * 2 * w + 2 * j + b] = (float) v;
                        }
                    }
                }
            }
        }
        assertArrayEquals(expected, naive, 1e-5f);
        float[] ours = new float[4 * out * in];
        for (int o = 0; o < out; o++) {
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < 2; b++) {
                    for (int c = 0; c < in; c++) {
                        ours[((o * 2 + a) * 2 + b) * in + c] = weight[((c * out + o) * 2 + a) * 2 + b];
                    }
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Block block = ResNetBlocks.deconv2x2(out);
            TrainingLoop.initialize(block, m, 7, new Shape(1, in, h, w));
            block.getParameters().get(0).getValue().getArray().set(FloatBuffer.wrap(ours));
            float[] y = block.forward(new ParameterStore(m, false),
                    new NDList(m.create(x, new Shape(1, in, h, w))), false).singletonOrThrow().toFloatArray();
            assertArrayEquals(expected, y, 1e-5f);
        }
    }

    @Test
    void encoderAndDecoderStagesHalveAndDoubleTheResolution() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (ResNetBlocks.Kind kind : ResNetBlocks.Kind.values()) {
                Shape in = new Shape(2, 8, 8, 8);
                Block down = ResNetBlocks.stage(false, kind, 8, 4, 2, 2);
                Block up = ResNetBlocks.stage(true, kind, 8, 4, 2, 2);
                TrainingLoop.initialize(down, m, 1, in);
                TrainingLoop.initialize(up, m, 1, in);
                long c = 4L * kind.expansion();
                NDList x = new NDList(m.randomNormal(in));
                assertEquals(new Shape(2, c, 4, 4), down.forward(new ParameterStore(m, false), x, false).head()
                        .getShape());
                assertEquals(new Shape(2, c, 16, 16), up.forward(new ParameterStore(m, false), x, false).head()
                        .getShape());
            }
        }
    }

    @Test
    void distancesMatchTheirFormulas() {
        // Two positions, three channels; expectations computed by hand-written loops.
        float[] t = {1, 0, 2, 0, 3, 0};   // channels x positions: t(:,0) = (1, 2, 3), t(:,1) = (0, 0, 0)
        float[] s = {2, 1, 4, 0, 6, 1};   // s(:,0) = (2, 4, 6) parallel to t(:,0); s(:,1) = (1, 0, 1)
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray ta = m.create(t, new Shape(1, 3, 1, 2));
            NDArray sa = m.create(s, new Shape(1, 3, 1, 2));
            float[] cos = FeatureDistance.channelCosineDistance(ta, sa).toFloatArray();
            // Parallel vectors: distance 0; a zero vector: dot 0 so distance 1.
            assertArrayEquals(new float[] {0f, 1f}, cos, 1e-6f);
            float[] sq = FeatureDistance.normalizedSquaredDistance(ta, sa).toFloatArray();
            // |0 - s/|s||^2 = 1 at the zero position.
            assertArrayEquals(new float[] {0f, 1f}, sq, 1e-6f);
            double dot = 0;
            double nt = 0;
            double ns = 0;
            for (int i = 0; i < t.length; i++) {
                dot += t[i] * s[i];
                nt += t[i] * t[i];
                ns += s[i] * s[i];
            }
            float flat = FeatureDistance.flattenedCosineDistance(ta, sa).toFloatArray()[0];
            assertEquals(1 - dot / Math.sqrt(nt * ns), flat, 1e-6);
        }
    }

    @Test
    void aggregationsCombineElementWise() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.create(new float[] {1, 2, 3});
            NDArray b = m.create(new float[] {4, 5, 6});
            assertArrayEquals(new float[] {5, 7, 9}, MapAggregation.SUM.combine(MapAggregation.SUM.combine(null, a), b)
                    .toFloatArray());
            assertArrayEquals(new float[] {4, 10, 18}, MapAggregation.PRODUCT.combine(a, b).toFloatArray());
        }
    }

    @Test
    void upsamplingWithAlignedCornersKeepsTheCornerValues() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.create(new float[] {0, 1, 2, 3}, new Shape(1, 1, 2, 2));
            float[] y = AnomalyMaps.upsample(x, 3, 3, true).toFloatArray();
            // Corners stay, the centre is the mean of the four, edge midpoints the mean of two.
            assertArrayEquals(new float[] {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3}, y, 1e-6f);
        }
    }
}
