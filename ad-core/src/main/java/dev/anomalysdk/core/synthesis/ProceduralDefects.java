package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * Generic defects drawn procedurally, knowing nothing of the product: dark or bright blobs, thin random-walk
 * lines, clusters of short scratches, notches and spurs at structure edges, and large smooth regions whose
 * brightness or texture changes. Sizes are fractions of the image's shorter side {@code S}.
 *
 * <p>Intensity defects move pixels toward a level: {@code out = x + a * (level - x)} with {@code a} the soft
 * region times a strength. The level is dark (U(0, 0.15)) or bright (U(0.85, 1)) at a strength drawn per
 * defect, or, with the probability {@code ownPalette} given to {@link #blob(double)}, {@link #line(double)} and
 * {@link #scratches(double)}, the image's own darkest or brightest value (its 1st or 99th luminance
 * percentile) at full strength, so the defect stays in the image's palette (on binarised images, binary). Notches use the local minimum or maximum around the edge. A defect of the surface's own colour is
 * faint and gets a low label from {@link AnomalySynthesizer}.
 */
public final class ProceduralDefects {
    private ProceduralDefects() {}

    /** @return one to three overlapping soft ellipses, radii 2-12 % of S, dark or bright, strength U(0.5, 1) */
    public static AnomalyGenerator blob() {
        return blob(0);
    }

    /** @param ownPalette probability of painting with the image's own extremes (see the class description) */
    public static AnomalyGenerator blob(double ownPalette) {
        return (target, source, random) -> {
            int h = target.height();
            int w = target.width();
            double s = Math.min(h, w);
            float[] region = new float[h * w];
            double cy = Shapes.uniform(random, 0.1, 0.9) * h;
            double cx = Shapes.uniform(random, 0.1, 0.9) * w;
            int parts = 1 + random.nextInt(3);
            for (int i = 0; i < parts; i++) {
                double ry = Math.max(1.5, Shapes.uniform(random, 0.02, 0.12) * s);
                double rx = Math.max(1.5, Shapes.uniform(random, 0.02, 0.12) * s);
                double oy = i == 0 ? 0 : Shapes.uniform(random, -1, 1) * ry;
                double ox = i == 0 ? 0 : Shapes.uniform(random, -1, 1) * rx;
                max(region, Shapes.ellipse(h, w, cy + oy, cx + ox, ry, rx, random.nextDouble() * Math.PI,
                        Shapes.uniform(random, 0.5, 0.3 * Math.min(rx, ry) + 0.5)));
            }
            return paint(target, region, random, ownPalette, 0.5, 1);
        };
    }

    /** @return a thin line of width 1-3 px along a random walk of length 20-60 % of S */
    public static AnomalyGenerator line() {
        return line(0);
    }

    /** @param ownPalette probability of painting with the image's own extremes (see the class description) */
    public static AnomalyGenerator line(double ownPalette) {
        return (target, source, random) -> {
            int h = target.height();
            int w = target.width();
            double s = Math.min(h, w);
            int n = (int) Math.max(4, Shapes.uniform(random, 0.2, 0.6) * s);
            double[] ys = new double[n];
            double[] xs = new double[n];
            ys[0] = random.nextDouble() * h;
            xs[0] = random.nextDouble() * w;
            double angle = random.nextDouble() * 2 * Math.PI;
            double turn = Shapes.uniform(random, 0.02, 0.25);
            for (int i = 1; i < n; i++) {
                angle += random.nextGaussian() * turn;
                ys[i] = ys[i - 1] + Math.sin(angle);
                xs[i] = xs[i - 1] + Math.cos(angle);
            }
            float[] region = new float[h * w];
            Shapes.stroke(region, h, w, ys, xs, Shapes.uniform(random, 0.5, 1.5));
            return paint(target, region, random, ownPalette, 0.6, 1);
        };
    }

    /** @return 3-8 short straight scratches (5-15 % of S) near one another, roughly parallel */
    public static AnomalyGenerator scratches() {
        return scratches(0);
    }

    /** @param ownPalette probability of painting with the image's own extremes (see the class description) */
    public static AnomalyGenerator scratches(double ownPalette) {
        return (target, source, random) -> {
            int h = target.height();
            int w = target.width();
            double s = Math.min(h, w);
            double cy = Shapes.uniform(random, 0.15, 0.85) * h;
            double cx = Shapes.uniform(random, 0.15, 0.85) * w;
            double main = random.nextDouble() * Math.PI;
            int count = 3 + random.nextInt(6);
            float[] region = new float[h * w];
            for (int i = 0; i < count; i++) {
                double len = Shapes.uniform(random, 0.05, 0.15) * s;
                double a = main + random.nextGaussian() * 0.3;
                double my = cy + random.nextGaussian() * 0.06 * s;
                double mx = cx + random.nextGaussian() * 0.06 * s;
                double dy = Math.sin(a) * len / 2;
                double dx = Math.cos(a) * len / 2;
                Shapes.stroke(region, h, w, new double[] {my - dy, my + dy}, new double[] {mx - dx, mx + dx},
                        Shapes.uniform(random, 0.4, 1.0));
            }
            return paint(target, region, random, ownPalette, 0.6, 1);
        };
    }

    /**
     * @return a notch or spur: a soft disk (radius 2-8 % of S) centred on the strongest edge among 64 random
     *     pixels, filled with the local minimum or maximum found within twice its radius
     */
    public static AnomalyGenerator notch() {
        return (target, source, random) -> {
            int h = target.height();
            int w = target.width();
            double s = Math.min(h, w);
            float[] lum = Shapes.luminance(target.pixelsView(), target.channels(), h * w);
            int best = -1;
            double bestGradient = -1;
            for (int i = 0; i < 64; i++) {
                int y = 1 + random.nextInt(Math.max(1, h - 2));
                int x = 1 + random.nextInt(Math.max(1, w - 2));
                y = Math.min(y, h - 2);
                x = Math.min(x, w - 2);
                double gy = lum[Math.min(h - 1, y + 1) * w + x] - lum[Math.max(0, y - 1) * w + x];
                double gx = lum[y * w + Math.min(w - 1, x + 1)] - lum[y * w + Math.max(0, x - 1)];
                double g = gy * gy + gx * gx;
                if (g > bestGradient) {
                    bestGradient = g;
                    best = y * w + x;
                }
            }
            int cy = best / w;
            int cx = best % w;
            double r = Math.max(1.5, Shapes.uniform(random, 0.02, 0.08) * s);
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            int reach = (int) Math.ceil(2 * r);
            for (int y = Math.max(0, cy - reach); y <= Math.min(h - 1, cy + reach); y++) {
                for (int x = Math.max(0, cx - reach); x <= Math.min(w - 1, cx + reach); x++) {
                    lo = Math.min(lo, lum[y * w + x]);
                    hi = Math.max(hi, lum[y * w + x]);
                }
            }
            float level = random.nextBoolean() ? lo : hi;
            float[] region = new float[h * w];
            Shapes.disk(region, h, w, cy + random.nextGaussian() * r * 0.3, cx + random.nextGaussian() * r * 0.3, r);
            return toward(target, region, level, Shapes.uniform(random, 0.7, 1));
        };
    }

    /**
     * @return a large smooth region (radii 15-35 % of S, soft edge a third of the radius) whose brightness is
     *     scaled by U(0.6, 0.85) or U(1.15, 1.5), or whose texture is blurred, flattened or made noisy
     */
    public static AnomalyGenerator region() {
        return (target, source, random) -> {
            int h = target.height();
            int w = target.width();
            int plane = h * w;
            double s = Math.min(h, w);
            double ry = Shapes.uniform(random, 0.15, 0.35) * s;
            double rx = Shapes.uniform(random, 0.15, 0.35) * s;
            float[] region = Shapes.ellipse(h, w, random.nextDouble() * h, random.nextDouble() * w, ry, rx,
                    random.nextDouble() * Math.PI, Math.min(rx, ry) / 3);
            int mode = random.nextInt(4);
            float[] in = target.pixelsView();
            float[] changed = new float[in.length];
            double factor = random.nextBoolean() ? Shapes.uniform(random, 0.6, 0.85) : Shapes.uniform(random, 1.15, 1.5);
            int blur = 1 + random.nextInt(3);
            double contrast = Shapes.uniform(random, 0.2, 0.6);
            double noise = Shapes.uniform(random, 0.05, 0.15);
            for (int c = 0; c < target.channels(); c++) {
                float[] p = java.util.Arrays.copyOfRange(in, c * plane, (c + 1) * plane);
                float[] q;
                if (mode == 0) {
                    q = p.clone();
                    for (int i = 0; i < plane; i++) {
                        q[i] = (float) (p[i] * factor);
                    }
                } else if (mode == 1) {
                    q = Shapes.boxBlur(p, h, w, blur);
                } else if (mode == 2) {
                    float[] smooth = Shapes.boxBlur(p, h, w, 3);
                    q = new float[plane];
                    for (int i = 0; i < plane; i++) {
                        q[i] = (float) (smooth[i] + (p[i] - smooth[i]) * contrast);
                    }
                } else {
                    q = new float[plane];
                    Random r = new Random(random.nextLong());
                    for (int i = 0; i < plane; i++) {
                        q[i] = (float) (p[i] + r.nextGaussian() * noise);
                    }
                }
                System.arraycopy(q, 0, changed, c * plane, plane);
            }
            float[] out = new float[in.length];
            for (int c = 0; c < target.channels(); c++) {
                for (int i = 0; i < plane; i++) {
                    int k = c * plane + i;
                    out[k] = clamp01(in[k] + region[i] * (changed[k] - in[k]));
                }
            }
            return new AnomalyGenerator.Change(out, region);
        };
    }

    /** Moves the region toward a dark or bright level: the image's own extremes or a fixed range (see above). */
    private static AnomalyGenerator.Change paint(ImageData target, float[] region, Random random, double ownPalette,
            double minStrength, double maxStrength) {
        if (ownPalette > 0 && random.nextDouble() < ownPalette) {
            float[] lum = Shapes.luminance(target.pixelsView(), target.channels(), target.height() * target.width());
            float[] sorted = lum.clone();
            java.util.Arrays.sort(sorted);
            boolean dark = random.nextBoolean();
            float level = sorted[(int) Math.round((dark ? 0.01 : 0.99) * (sorted.length - 1))];
            return toward(target, region, level, 1.0);
        }
        return toward(target, region, level(random), Shapes.uniform(random, minStrength, maxStrength));
    }

    private static float level(Random random) {
        return (float) (random.nextBoolean() ? Shapes.uniform(random, 0, 0.15) : Shapes.uniform(random, 0.85, 1));
    }

    private static AnomalyGenerator.Change toward(ImageData target, float[] region, float level, double strength) {
        int plane = target.height() * target.width();
        float[] in = target.pixelsView();
        float[] out = new float[in.length];
        for (int c = 0; c < target.channels(); c++) {
            for (int i = 0; i < plane; i++) {
                int k = c * plane + i;
                out[k] = clamp01((float) (in[k] + region[i] * strength * (level - in[k])));
            }
        }
        return new AnomalyGenerator.Change(out, region);
    }

    private static void max(float[] into, float[] other) {
        for (int i = 0; i < into.length; i++) {
            into[i] = Math.max(into[i], other[i]);
        }
    }

    private static float clamp01(float v) {
        return Math.max(0f, Math.min(1f, v));
    }
}
