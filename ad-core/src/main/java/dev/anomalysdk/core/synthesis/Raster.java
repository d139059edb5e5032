package dev.anomalysdk.core.synthesis;

/**
 * Geometric resampling of channel-major float planes for the Perlin toolkit: bilinear resize (no
 * antialiasing, like OpenCV's default) and rotation about the centre with a constant fill (like an affine
 * warp with constant border).
 */
final class Raster {
    private Raster() {}

    /**
     * @param pixels channel-major planes, {@code channels x h x w}
     * @return the planes resized bilinearly to {@code newH x newW} (pixel centres aligned, edges clamped)
     */
    static float[] resize(float[] pixels, int channels, int h, int w, int newH, int newW) {
        if (h == newH && w == newW) {
            return pixels.clone();
        }
        float[] out = new float[channels * newH * newW];
        double sy = h / (double) newH;
        double sx = w / (double) newW;
        int[] x0 = new int[newW];
        int[] x1 = new int[newW];
        float[] fx = new float[newW];
        for (int x = 0; x < newW; x++) {
            double u = Math.max(0, (x + 0.5) * sx - 0.5);
            x0[x] = Math.min(w - 1, (int) u);
            x1[x] = Math.min(w - 1, x0[x] + 1);
            fx[x] = (float) (u - x0[x]);
        }
        for (int c = 0; c < channels; c++) {
            int in = c * h * w;
            int o = c * newH * newW;
            for (int y = 0; y < newH; y++) {
                double v = Math.max(0, (y + 0.5) * sy - 0.5);
                int y0 = Math.min(h - 1, (int) v);
                int y1 = Math.min(h - 1, y0 + 1);
                float fy = (float) (v - y0);
                for (int x = 0; x < newW; x++) {
                    float a = pixels[in + y0 * w + x0[x]] * (1 - fx[x]) + pixels[in + y0 * w + x1[x]] * fx[x];
                    float b = pixels[in + y1 * w + x0[x]] * (1 - fx[x]) + pixels[in + y1 * w + x1[x]] * fx[x];
                    out[o + y * newW + x] = a * (1 - fy) + b * fy;
                }
            }
        }
        return out;
    }

    /**
     * Rotates planes about the image centre, bilinear, counter-clockwise for positive angles (y pointing
     * down, as image libraries do). Pixels that come from outside the image take {@code fill}.
     *
     * @param pixels channel-major planes
     * @param degrees the angle
     * @return the rotated planes, same size
     */
    static float[] rotate(float[] pixels, int channels, int h, int w, double degrees, float fill) {
        float[] out = new float[pixels.length];
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Inverse mapping: where in the source does output (y, x) come from.
                double dx = x - cx;
                double dy = y - cy;
                double sx = cos * dx - sin * dy + cx;
                double sy = sin * dx + cos * dy + cy;
                int ix = (int) Math.floor(sx);
                int iy = (int) Math.floor(sy);
                float tx = (float) (sx - ix);
                float ty = (float) (sy - iy);
                for (int c = 0; c < channels; c++) {
                    int base = c * plane;
                    float v00 = sample(pixels, base, h, w, iy, ix, fill);
                    float v01 = sample(pixels, base, h, w, iy, ix + 1, fill);
                    float v10 = sample(pixels, base, h, w, iy + 1, ix, fill);
                    float v11 = sample(pixels, base, h, w, iy + 1, ix + 1, fill);
                    out[base + y * w + x] = (v00 * (1 - tx) + v01 * tx) * (1 - ty) + (v10 * (1 - tx) + v11 * tx) * ty;
                }
            }
        }
        return out;
    }

    private static float sample(float[] p, int base, int h, int w, int y, int x, float fill) {
        return y < 0 || x < 0 || y >= h || x >= w ? fill : p[base + y * w + x];
    }
}
