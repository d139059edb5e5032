package dev.anomalysdk.core.synthesis;

import java.util.Random;

/**
 * Gradient (Perlin) noise on a pixel grid, the raw material of DRAEM-style anomaly masks and of the
 * procedural textures.
 *
 * <p>The image is covered by a lattice of {@code cellsY x cellsX} cells; each lattice corner gets a unit
 * gradient at a uniformly random angle. A pixel at continuous lattice position {@code (u, v)} takes the
 * dot products of its four corners' gradients with its offsets from them, interpolated with the quintic fade
 * {@code 6t^5 - 15t^4 + 10t^3}, times {@code sqrt(2)} so that values span roughly [-1, 1]. Few cells give
 * large smooth blobs, many cells small ones. Deterministic per {@link Random} state.
 */
public final class PerlinNoise {
    private PerlinNoise() {}

    /**
     * @param height rows of the result
     * @param width columns of the result
     * @param cellsY lattice cells along the rows (at least 1)
     * @param cellsX lattice cells along the columns (at least 1)
     * @param random the generator of the gradient angles ({@code (cellsY + 1) * (cellsX + 1)} draws)
     * @return row-major noise, values roughly in [-1, 1]
     */
    public static float[] noise(int height, int width, int cellsY, int cellsX, Random random) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("Invalid noise size: " + width + "x" + height);
        }
        if (cellsY < 1 || cellsX < 1) {
            throw new IllegalArgumentException("Invalid lattice: " + cellsX + "x" + cellsY + " cells");
        }
        int cols = cellsX + 1;
        double[] gy = new double[(cellsY + 1) * cols];
        double[] gx = new double[gy.length];
        for (int i = 0; i < gy.length; i++) {
            double angle = 2 * Math.PI * random.nextDouble();
            gy[i] = Math.sin(angle);
            gx[i] = Math.cos(angle);
        }
        float[] out = new float[height * width];
        double sqrt2 = Math.sqrt(2);
        for (int y = 0; y < height; y++) {
            double u = y * (double) cellsY / height;
            int cy = (int) u;
            double fy = u - cy;
            double wy = fade(fy);
            for (int x = 0; x < width; x++) {
                double v = x * (double) cellsX / width;
                int cx = (int) v;
                double fx = v - cx;
                double wx = fade(fx);
                int i00 = cy * cols + cx;
                int i01 = i00 + 1;
                int i10 = i00 + cols;
                int i11 = i10 + 1;
                double n00 = gy[i00] * fy + gx[i00] * fx;
                double n01 = gy[i01] * fy + gx[i01] * (fx - 1);
                double n10 = gy[i10] * (fy - 1) + gx[i10] * fx;
                double n11 = gy[i11] * (fy - 1) + gx[i11] * (fx - 1);
                double top = n00 + wx * (n01 - n00);
                double bottom = n10 + wx * (n11 - n10);
                out[y * width + x] = (float) (sqrt2 * (top + wy * (bottom - top)));
            }
        }
        return out;
    }

    /**
     * Fractal noise: a sum of {@code octaves} noise layers, each with twice the cells and {@code persistence}
     * times the amplitude of the previous, normalized so that values stay roughly in [-1, 1].
     *
     * @param cells cells of the first (coarsest) octave along both axes
     */
    public static float[] fractal(int height, int width, int cells, int octaves, double persistence, Random random) {
        if (octaves < 1) {
            throw new IllegalArgumentException("Invalid octave count: " + octaves);
        }
        float[] out = new float[height * width];
        double amplitude = 1;
        double total = 0;
        int c = cells;
        for (int o = 0; o < octaves; o++) {
            float[] layer = noise(height, width, c, c, random);
            for (int i = 0; i < out.length; i++) {
                out[i] += (float) (amplitude * layer[i]);
            }
            total += amplitude;
            amplitude *= persistence;
            c *= 2;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= (float) total;
        }
        return out;
    }

    /**
     * Rotates a noise (or any single-channel) plane about its centre; what comes from outside gets 0.
     *
     * @param degrees counter-clockwise angle
     */
    public static float[] rotate(float[] plane, int height, int width, double degrees) {
        return Raster.rotate(plane, 1, height, width, degrees, 0f);
    }

    private static double fade(double t) {
        return t * t * t * (t * (t * 6 - 15) + 10);
    }
}
