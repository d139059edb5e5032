package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * Textures drawn on the fly, so that DRAEM-style training needs no outside data: each call picks one
 * {@link Kind} uniformly and random colours, scales and orientations. Colours are drawn in HSV with any hue
 * and varied saturation and brightness, so the pasted content ranges from grey stains to vivid paint.
 */
public final class ProceduralTextures implements TextureSource {
    /** The kinds of texture drawn. */
    public enum Kind {
        /** Fractal Perlin noise mapping between two colours, clouds to fine grain. */
        NOISE_FIELD,
        /** Parallel stripes, sharp or sinusoidal, at any angle, lightly perturbed by noise. */
        STRIPES,
        /** A checkerboard or a two-way weave at any angle. */
        CHECKER_WEAVE,
        /** Dots and specks of one or two colours on a noisy base. */
        SPECKLE,
        /** Marble-like veins: a sine of position plus fractal turbulence. */
        MARBLE
    }

    private static final Kind[] KINDS = Kind.values();

    /** Creates the source. */
    public ProceduralTextures() {}

    @Override
    public ImageData texture(int height, int width, Random random) {
        return texture(KINDS[random.nextInt(KINDS.length)], height, width, random);
    }

    /**
     * @param kind the kind to draw
     * @return an RGB texture of that kind
     */
    public ImageData texture(Kind kind, int height, int width, Random random) {
        float[] a = randomColour(random);
        float[] b = randomColour(random);
        float[] t = switch (kind) {
            case NOISE_FIELD -> field(height, width, random);
            case STRIPES -> stripes(height, width, random);
            case CHECKER_WEAVE -> checker(height, width, random);
            case SPECKLE -> speckle(height, width, random);
            case MARBLE -> marble(height, width, random);
        };
        int plane = height * width;
        float[] rgb = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                rgb[c * plane + i] = clamp(a[c] + (b[c] - a[c]) * t[i]);
            }
        }
        return new ImageData(3, height, width, rgb, "procedural:" + kind.name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String describe() {
        return "procedural textures (noise fields, stripes, checker/weave, speckle, marble)";
    }

    /** @return a mixing weight in [0, 1] per pixel from fractal noise */
    private static float[] field(int h, int w, Random random) {
        int cells = 1 << random.nextInt(5);
        int octaves = 1 + random.nextInt(4);
        float[] n = PerlinNoise.fractal(h, w, cells, octaves, Shapes.uniform(random, 0.4, 0.7), random);
        double contrast = Shapes.uniform(random, 0.8, 2.5);
        float[] t = new float[n.length];
        for (int i = 0; i < n.length; i++) {
            t[i] = clamp((float) (0.5 + contrast * n[i] / 2));
        }
        return t;
    }

    private static float[] stripes(int h, int w, Random random) {
        double angle = random.nextDouble() * Math.PI;
        double period = Shapes.uniform(random, 3, Math.max(4, Math.min(h, w) / 3.0));
        boolean sharp = random.nextBoolean();
        double duty = Shapes.uniform(random, 0.2, 0.8);
        float[] wobble = PerlinNoise.noise(h, w, 2, 2, random);
        double wobbleAmp = Shapes.uniform(random, 0, period / 2);
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        float[] t = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = (x * cos + y * sin + wobbleAmp * wobble[y * w + x]) / period;
                double frac = s - Math.floor(s);
                t[y * w + x] = sharp ? (frac < duty ? 1f : 0f) : (float) (0.5 + 0.5 * Math.sin(2 * Math.PI * s));
            }
        }
        return t;
    }

    private static float[] checker(int h, int w, Random random) {
        double angle = random.nextDouble() * Math.PI / 2;
        double cell = Shapes.uniform(random, 3, Math.max(4, Math.min(h, w) / 4.0));
        boolean weave = random.nextBoolean();
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        float[] t = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double u = (x * cos + y * sin) / cell;
                double v = (-x * sin + y * cos) / cell;
                int iu = (int) Math.floor(u);
                int iv = (int) Math.floor(v);
                if (!weave) {
                    t[y * w + x] = ((iu + iv) & 1) == 0 ? 1f : 0f;
                } else {
                    // Over-under threads: the visible thread alternates; shading along it gives relief.
                    boolean horizontal = ((iu + iv) & 1) == 0;
                    double along = horizontal ? u - iu : v - iv;
                    double across = horizontal ? v - iv : u - iu;
                    double shade = Math.sin(Math.PI * across) * (0.75 + 0.25 * Math.sin(Math.PI * along));
                    t[y * w + x] = (float) (horizontal ? shade : 1 - shade);
                }
            }
        }
        return t;
    }

    private static float[] speckle(int h, int w, Random random) {
        float[] base = PerlinNoise.noise(h, w, 4, 4, random);
        float[] t = new float[h * w];
        for (int i = 0; i < t.length; i++) {
            t[i] = clamp(0.25f + 0.15f * base[i]);
        }
        double density = Shapes.uniform(random, 0.002, 0.03);
        int count = (int) Math.max(1, density * h * w);
        double maxRadius = Shapes.uniform(random, 0.7, 3);
        for (int k = 0; k < count; k++) {
            double cy = random.nextDouble() * h;
            double cx = random.nextDouble() * w;
            double r = Shapes.uniform(random, 0.5, maxRadius);
            float value = (float) Shapes.uniform(random, 0.7, 1);
            int y0 = (int) Math.max(0, Math.floor(cy - r));
            int y1 = (int) Math.min(h - 1, Math.ceil(cy + r));
            int x0 = (int) Math.max(0, Math.floor(cx - r));
            int x1 = (int) Math.min(w - 1, Math.ceil(cx + r));
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    double d = Math.hypot(y + 0.5 - cy, x + 0.5 - cx);
                    if (d <= r) {
                        t[y * w + x] = value;
                    }
                }
            }
        }
        return t;
    }

    private static float[] marble(int h, int w, Random random) {
        float[] turbulence = PerlinNoise.fractal(h, w, 2, 4, 0.5, random);
        double angle = random.nextDouble() * Math.PI;
        double period = Shapes.uniform(random, 8, Math.max(9, Math.min(h, w)));
        double strength = Shapes.uniform(random, 2, 8);
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        float[] t = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = (x * cos + y * sin) / period * 2 * Math.PI + strength * turbulence[y * w + x];
                t[y * w + x] = (float) Math.pow(Math.abs(Math.sin(s)), 0.5);
            }
        }
        return t;
    }

    /** @return an RGB colour from a uniform hue, saturation in [0, 1] and value in [0.1, 1] */
    private static float[] randomColour(Random random) {
        double hue = random.nextDouble() * 6;
        double sat = random.nextDouble();
        double val = Shapes.uniform(random, 0.1, 1);
        return TextureAugmentation.hsvToRgb(hue, sat, val);
    }

    private static float clamp(float v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }
}
