package dev.anomalysdk.reconstruction.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.nn.AlignedConvolution;

/**
 * Structural similarity (Wang et al. 2004) between two NCHW batches of images in [0, 1], differentiable
 * (built from NDArray operations): local means, variances and covariance under a Gaussian window (side 11,
 * sigma 1.5 by default, zero padding, each channel separately), then
 * <pre>  SSIM = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2))</pre>
 * with {@code C1 = 0.01^2} and {@code C2 = 0.03^2} (dynamic range 1). Used as a loss ({@code 1 - mean SSIM})
 * by DRAEM and the autoencoder, and as an anomaly map ({@code 1 - SSIM}) by the autoencoder.
 */
public final class Ssim {
    /** DRAEM's window side. */
    public static final int WINDOW = 11;
    /** DRAEM's window sigma. */
    public static final double SIGMA = 1.5;
    private static final float C1 = 0.01f * 0.01f;
    private static final float C2 = 0.03f * 0.03f;

    private Ssim() {}

    /**
     * @param a images, NCHW
     * @param b images of the same shape
     * @param window odd window side
     * @param sigma Gaussian sigma of the window
     * @return the per-pixel, per-channel SSIM map, NCHW
     */
    public static NDArray map(NDArray a, NDArray b, int window, double sigma) {
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException("SSIM of arrays of different shapes: " + a.getShape() + " and "
                    + b.getShape());
        }
        int channels = (int) a.getShape().get(1);
        NDArray kernel = kernel(a.getManager(), channels, window, sigma);
        NDArray muA = blur(a, kernel, channels, window);
        NDArray muB = blur(b, kernel, channels, window);
        NDArray muA2 = muA.mul(muA);
        NDArray muB2 = muB.mul(muB);
        NDArray muAB = muA.mul(muB);
        NDArray varA = blur(a.mul(a), kernel, channels, window).sub(muA2);
        NDArray varB = blur(b.mul(b), kernel, channels, window).sub(muB2);
        NDArray cov = blur(a.mul(b), kernel, channels, window).sub(muAB);
        NDArray num = muAB.mul(2).add(C1).mul(cov.mul(2).add(C2));
        NDArray den = muA2.add(muB2).add(C1).mul(varA.add(varB).add(C2));
        return num.div(den);
    }

    /** @return {@code 1 - mean SSIM} with DRAEM's window, a scalar */
    public static NDArray loss(NDArray a, NDArray b) {
        return map(a, b, WINDOW, SIGMA).mean().neg().add(1);
    }

    private static NDArray blur(NDArray x, NDArray kernel, int channels, int window) {
        int pad = window / 2;
        return AlignedConvolution.conv2d(x, kernel, null, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1),
                channels);
    }

    private static NDArray kernel(NDManager manager, int channels, int window, double sigma) {
        if (window < 1 || window % 2 == 0) {
            throw new IllegalArgumentException("Invalid SSIM window (odd side): " + window);
        }
        double[] g = new double[window];
        double sum = 0;
        for (int i = 0; i < window; i++) {
            double d = i - window / 2;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }
        float[] k = new float[channels * window * window];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < window; y++) {
                for (int x = 0; x < window; x++) {
                    k[(c * window + y) * window + x] = (float) (g[y] * g[x] / (sum * sum));
                }
            }
        }
        return manager.create(k, new Shape(channels, 1, window, window)).toDevice(manager.getDevice(), false);
    }
}
