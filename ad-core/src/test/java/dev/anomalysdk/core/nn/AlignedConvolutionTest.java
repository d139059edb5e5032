package dev.anomalysdk.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.anomalysdk.core.DjlEnvironment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The aligned convolution against two independent computations: libtorch's float64 convolution (its native
 * kernel, not oneDNN, which handles float32 only) over a sweep of shapes, and a direct loop for one case.
 * On the machines where oneDNN mishandles partly filled channel blocks (AMD EPYC Zen 5 VMs with libtorch
 * 2.7.1), a plain {@code Conv2d.conv2d} fails this sweep (input gradients wrong or NaN for 1-3 output channels,
 * outputs wrong for 24 input channels); the sweep is the one of the NaN probe that found it.
 */
class AlignedConvolutionTest {

    private static NDArray[] forwardBackward(NDArray x0, NDArray w0, NDArray b0, int k, int s, DataType type) {
        NDArray x = x0.toType(type, true);
        NDArray w = w0.toType(type, true);
        NDArray b = b0.toType(type, true);
        for (NDArray a : List.of(x, w, b)) {
            a.setRequiresGradient(true);
        }
        NDArray y;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            y = AlignedConvolution.conv2d(x, w, b, new Shape(s, s), new Shape(k / 2, k / 2), new Shape(1, 1), 1);
            gc.backward(y.square().mean());
        }
        return new NDArray[] {y, x.getGradient(), w.getGradient(), b.getGradient()};
    }

    private static double relativeError(NDArray a, NDArray ref) {
        NDArray r = ref.toType(DataType.FLOAT64, false);
        double err = a.toType(DataType.FLOAT64, false).sub(r).abs().max().getDouble();
        return err / Math.max(r.abs().max().getDouble(), 1e-30);
    }

    @Test
    void forwardAndGradientsMatchFloat64OverTheProbeSweep() {
        DjlEnvironment.engine();
        List<String> failures = new ArrayList<>();
        int cases = 0;
        try (NDManager root = NDManager.newBaseManager()) {
            for (int[] ks : new int[][] {{3, 1}, {1, 1}, {3, 2}, {4, 2}}) {
                for (int in : new int[] {1, 3, 8, 16, 24, 64}) {
                    for (int out : new int[] {1, 2, 3, 16, 24}) {
                        for (int batch : new int[] {2, 4}) {
                            try (NDManager m = root.newSubManager()) {
                                int k = ks[0];
                                int hw = 12 + 4 * batch;
                                NDArray x = m.randomNormal(new Shape(batch, in, hw, hw));
                                NDArray w = m.randomNormal(new Shape(out, in, k, k)).mul(0.1f);
                                NDArray b = m.randomNormal(new Shape(out));
                                NDArray[] got = forwardBackward(x, w, b, k, ks[1], DataType.FLOAT32);
                                NDArray[] ref = forwardBackward(x, w, b, k, ks[1], DataType.FLOAT64);
                                String[] names = {"y", "dx", "dw", "db"};
                                for (int i = 0; i < got.length; i++) {
                                    double e = relativeError(got[i], ref[i]);
                                    if (!(e < 1e-4)) {
                                        failures.add(String.format("k=%d s=%d in=%d out=%d batch=%d %s rel.err %.3g",
                                                k, ks[1], in, out, batch, names[i], e));
                                    }
                                }
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(240, cases);
        assertTrue(failures.isEmpty(), failures.size() + " mismatches: " + failures);
    }

    @Test
    void oneOutputChannelInputGradientEqualsTheDirectSum() {
        int n = 2, in = 32, hw = 10;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(n, in, hw, hw));
            NDArray w = m.randomNormal(new Shape(1, in, 3, 3)).mul(0.1f);
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = AlignedConvolution.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1);
                gc.backward(y.square().sum());
            }
            float[] dx = x.getGradient().toFloatArray();
            float[] ys = y.toFloatArray();
            float[] ws = w.toFloatArray();
            double maxErr = 0;
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < in; c++) {
                    for (int r = 0; r < hw; r++) {
                        for (int q = 0; q < hw; q++) {
                            double s = 0; // d(sum y^2)/dx = sum over taps of 2 y * w
                            for (int di = 0; di < 3; di++) {
                                for (int dj = 0; dj < 3; dj++) {
                                    int yr = r - di + 1;
                                    int yq = q - dj + 1;
                                    if (yr >= 0 && yq >= 0 && yr < hw && yq < hw) {
                                        s += 2.0 * ys[(b * hw + yr) * hw + yq] * ws[(c * 3 + di) * 3 + dj];
                                    }
                                }
                            }
                            maxErr = Math.max(maxErr, Math.abs(dx[((b * in + c) * hw + r) * hw + q] - s));
                        }
                    }
                }
            }
            assertTrue(maxErr < 1e-4, "max error " + maxErr);
        }
    }

    @Test
    void blockKeepsDjlParametersAndComputesTheSameAsTheFunction() {
        try (NDManager m = NDManager.newBaseManager()) {
            AlignedConv2d block = AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(3, 3))
                    .optPadding(new Shape(1, 1)).setFilters(3));
            block.initialize(m, DataType.FLOAT32, new Shape(2, 20, 8, 8));
            assertEquals(new Shape(3, 20, 3, 3), block.getParameters().get("weight").getArray().getShape());
            assertEquals(new Shape(3), block.getParameters().get("bias").getArray().getShape());
            NDArray x = m.randomNormal(new Shape(2, 20, 8, 8));
            NDArray y = block.forward(new ParameterStore(m, false), new NDList(x), false).head();
            NDArray ref = Conv2d.conv2d(x.toType(DataType.FLOAT64, false),
                    block.getParameters().get("weight").getArray().toType(DataType.FLOAT64, false),
                    block.getParameters().get("bias").getArray().toType(DataType.FLOAT64, false),
                    new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).head();
            assertEquals(new Shape(2, 3, 8, 8), y.getShape());
            assertTrue(relativeError(y, ref) < 1e-5);
        }
    }
}
