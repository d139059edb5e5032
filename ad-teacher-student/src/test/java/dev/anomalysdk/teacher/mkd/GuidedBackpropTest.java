package dev.anomalysdk.teacher.mkd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.anomalysdk.teacher.components.NoGrad;
import dev.anomalysdk.teacher.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GuidedBackpropTest {
    private static final int S = 4;

    @BeforeAll
    static void threads() {
        TestData.singleThreaded();
    }

    /** 3x3 convolution with zero padding 1 of a {@code in x S x S} map into one channel, plus bias. */
    private static double[] conv(double[] x, int in, float[] w, float b) {
        double[] y = new double[S * S];
        for (int i = 0; i < S; i++) {
            for (int j = 0; j < S; j++) {
                double v = b;
                for (int c = 0; c < in; c++) {
                    for (int di = 0; di < 3; di++) {
                        for (int dj = 0; dj < 3; dj++) {
                            int yi = i + di - 1;
                            int xj = j + dj - 1;
                            if (yi >= 0 && yi < S && xj >= 0 && xj < S) {
                                v += w[(c * 3 + di) * 3 + dj] * x[(c * S + yi) * S + xj];
                            }
                        }
                    }
                }
                y[i * S + j] = v;
            }
        }
        return y;
    }

    /** The transpose of {@link #conv} applied to an output gradient: the gradient of each input value. */
    private static double[] convBackward(double[] g, int in, float[] w) {
        double[] gx = new double[in * S * S];
        for (int i = 0; i < S; i++) {
            for (int j = 0; j < S; j++) {
                for (int c = 0; c < in; c++) {
                    for (int di = 0; di < 3; di++) {
                        for (int dj = 0; dj < 3; dj++) {
                            int yi = i + di - 1;
                            int xj = j + dj - 1;
                            if (yi >= 0 && yi < S && xj >= 0 && xj < S) {
                                gx[(c * S + yi) * S + xj] += w[(c * 3 + di) * 3 + dj] * g[i * S + j];
                            }
                        }
                    }
                }
            }
        }
        return gx;
    }

    /** Guided ReLU backward: the positive part of the gradient where the ReLU's input was positive. */
    private static double[] guidedRelu(double[] g, double[] preActivation) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            out[i] = preActivation[i] > 0 ? Math.max(g[i], 0) : 0;
        }
        return out;
    }

    @Test
    void guidedBackwardMatchesAHandWrittenGuidedBackpropagation() {
        // Block 1 of a VGG of width 1: conv(3 -> 1) + bias, ReLU, conv(1 -> 1) + bias, ReLU, 2x2 max-pool, on a
        // 3x4x4 input, with a mixed-sign gradient at the pooled 2x2 output. Expected values: the same
        // network's forward and guided backward written out above in plain Java.
        VggNetwork net = VggNetwork.source(1, List.of(1));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            net.setInitializer(new XavierUniform(11), Parameter.Type.WEIGHT);
            net.setInitializer(new XavierUniform(12), Parameter.Type.BIAS);
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, S, S));
            net.freezeParameters(true);
            List<float[]> p = new ArrayList<>();
            net.getParameters().values().forEach(v -> p.add(v.getArray().toFloatArray()));
            float[] w1 = p.get(0);
            float b1 = p.get(1)[0];
            float[] w2 = p.get(2);
            float b2 = p.get(3)[0];
            Random r = new Random(5);
            float[] x = new float[3 * S * S];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] tapGrad = {1.0f, -0.5f, 0.8f, -1.2f};

            NDArray input = m.create(x, new Shape(1, 3, S, S));
            List<NDArray> acts;
            try (NoGrad g = NoGrad.enter()) {
                acts = net.trace(input);
            }
            assertEquals(List.of(acts.size() - 1), net.tapPositions());
            float[] got = net.guidedBackward(acts, List.of(m.create(tapGrad, new Shape(1, 1, 2, 2)))).toFloatArray();

            double[] xd = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xd[i] = x[i];
            }
            double[] a1 = conv(xd, 3, w1, b1);
            double[] r1 = new double[a1.length];
            for (int i = 0; i < a1.length; i++) {
                r1[i] = Math.max(a1[i], 0);
            }
            double[] a2 = conv(r1, 1, w2, b2);
            double[] gr2 = new double[S * S];
            for (int pi = 0; pi < 2; pi++) {
                for (int pj = 0; pj < 2; pj++) {
                    int best = -1;
                    for (int di = 0; di < 2; di++) {
                        for (int dj = 0; dj < 2; dj++) {
                            int k = (2 * pi + di) * S + 2 * pj + dj;
                            if (best < 0 || Math.max(a2[k], 0) > Math.max(a2[best], 0)) {
                                best = k;
                            }
                        }
                    }
                    gr2[best] = tapGrad[pi * 2 + pj];
                }
            }
            double[] expected = convBackward(guidedRelu(convBackward(guidedRelu(gr2, a2), 1, w2), a1), 3, w1);
            float[] want = new float[expected.length];
            for (int i = 0; i < want.length; i++) {
                want[i] = (float) expected[i];
            }
            int nonZero = 0;
            for (float v : want) {
                nonZero += v != 0 ? 1 : 0;
            }
            assertTrue(nonZero > want.length / 4, "a case where gradients reach the input: " + nonZero);
            assertArrayEquals(want, got, 1e-5f);
        }
    }
}
