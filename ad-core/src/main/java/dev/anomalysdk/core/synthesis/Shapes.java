package dev.anomalysdk.core.synthesis;

import java.util.Random;

/** Region drawing shared by the generators: soft ellipses, strokes along polylines, feathered rectangles. */
final class Shapes {
    private Shapes() {}

    /**
     * A filled ellipse with a linear soft edge.
     *
     * @param feather width of the soft edge in pixels (0 for a hard edge)
     */
    static float[] ellipse(int h, int w, double cy, double cx, double ry, double rx, double angle, double feather) {
        float[] out = new float[h * w];
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double r = Math.max(rx, ry) + feather + 1;
        int y0 = Math.max(0, (int) Math.floor(cy - r));
        int y1 = Math.min(h - 1, (int) Math.ceil(cy + r));
        int x0 = Math.max(0, (int) Math.floor(cx - r));
        int x1 = Math.min(w - 1, (int) Math.ceil(cx + r));
        double scale = Math.min(rx, ry);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double dy = y - cy;
                double dx = x - cx;
                double u = (dx * cos + dy * sin) / rx;
                double v = (-dx * sin + dy * cos) / ry;
                // Signed distance to the boundary, approximately, in pixels.
                double d = (Math.sqrt(u * u + v * v) - 1) * scale;
                double a = feather > 0 ? 0.5 - d / feather : (d <= 0 ? 1 : 0);
                out[y * w + x] = (float) Math.max(0, Math.min(1, a));
            }
        }
        return out;
    }

    /** Paints a disk of the given radius at every point of a polyline (max-combined into {@code region}). */
    static void stroke(float[] region, int h, int w, double[] ys, double[] xs, double radius) {
        for (int i = 0; i < ys.length; i++) {
            int steps = 1;
            if (i + 1 < ys.length) {
                steps = (int) Math.ceil(Math.hypot(ys[i + 1] - ys[i], xs[i + 1] - xs[i]) * 2) + 1;
            }
            for (int s = 0; s < steps; s++) {
                double t = s / (double) steps;
                double cy = i + 1 < ys.length ? ys[i] + t * (ys[i + 1] - ys[i]) : ys[i];
                double cx = i + 1 < xs.length ? xs[i] + t * (xs[i + 1] - xs[i]) : xs[i];
                disk(region, h, w, cy, cx, radius);
            }
        }
    }

    /** A disk with a one-pixel antialiased edge, max-combined into {@code region}. */
    static void disk(float[] region, int h, int w, double cy, double cx, double radius) {
        int y0 = Math.max(0, (int) Math.floor(cy - radius - 1));
        int y1 = Math.min(h - 1, (int) Math.ceil(cy + radius + 1));
        int x0 = Math.max(0, (int) Math.floor(cx - radius - 1));
        int x1 = Math.min(w - 1, (int) Math.ceil(cx + radius + 1));
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double d = Math.hypot(y - cy, x - cx) - radius;
                float a = (float) Math.max(0, Math.min(1, 0.5 - d));
                int p = y * w + x;
                if (a > region[p]) {
                    region[p] = a;
                }
            }
        }
    }

    /** A rectangle whose alpha ramps linearly from 0 at its edge to 1 at {@code feather} pixels inside. */
    static float[] featheredRectangle(int h, int w, int top, int left, int ph, int pw, double feather) {
        float[] out = new float[h * w];
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                double edge = Math.min(Math.min(y + 1, ph - y), Math.min(x + 1, pw - x));
                out[(top + y) * w + left + x] = (float) Math.min(1, feather > 0 ? edge / (feather + 1) : 1);
            }
        }
        return out;
    }

    /** @return a uniform draw in [a, b) */
    static double uniform(Random random, double a, double b) {
        return a + (b - a) * random.nextDouble();
    }

    /** @return the mean over channels of a channel-major image, one plane */
    static float[] luminance(float[] pixels, int channels, int plane) {
        if (channels == 1) {
            return pixels;
        }
        float[] out = new float[plane];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < plane; i++) {
                out[i] += pixels[c * plane + i] / channels;
            }
        }
        return out;
    }

    /** Box blur of one plane with the given radius (edge pixels repeated). */
    static float[] boxBlur(float[] plane, int h, int w, int radius) {
        float[] tmp = new float[plane.length];
        float[] out = new float[plane.length];
        int n = 2 * radius + 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int k = -radius; k <= radius; k++) {
                    s += plane[y * w + Math.min(w - 1, Math.max(0, x + k))];
                }
                tmp[y * w + x] = (float) (s / n);
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int k = -radius; k <= radius; k++) {
                    s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
                }
                out[y * w + x] = (float) (s / n);
            }
        }
        return out;
    }
}
