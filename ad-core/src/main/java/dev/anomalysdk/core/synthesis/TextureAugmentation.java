package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * The ten colour and geometry changes DRAEM applies to its anomaly source before pasting it; DRAEM draws
 * {@link #DEFAULT_COUNT} distinct ones per sample and applies them in the drawn order ({@link #augment}).
 * Each works on an RGB image in [0, 1] (8-bit quantities of the original parameter ranges are divided by 255)
 * and draws its parameters from the given {@link Random}.
 */
public enum TextureAugmentation {
    /** Per-channel gamma {@code v^g}, {@code g ~ U(0.5, 2)}. */
    GAMMA_CONTRAST {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            int plane = h * w;
            for (int c = 0; c < 3; c++) {
                double g = Shapes.uniform(r, 0.5, 2.0);
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    p[i] = (float) Math.pow(Math.max(0, p[i]), g);
                }
            }
        }
    },
    /** Brightness (luma) multiplied by U(0.8, 1.2) then shifted by U(-30, 30)/255, chroma kept. */
    MULTIPLY_ADD_BRIGHTNESS {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            double mul = Shapes.uniform(r, 0.8, 1.2);
            double add = Shapes.uniform(r, -30, 30) / 255.0;
            int plane = h * w;
            for (int i = 0; i < plane; i++) {
                double y = 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i];
                float shift = (float) (y * mul + add - y);
                for (int c = 0; c < 3; c++) {
                    p[c * plane + i] = clamp(p[c * plane + i] + shift);
                }
            }
        }
    },
    /**
     * Sharpness: {@code smooth + f * (image - smooth)} with a 3x3 smoothing kernel (centre weight 5, others 1)
     * and {@code f ~ U(0, 2)}: below 1 blurs, above 1 sharpens; border pixels are kept.
     */
    SHARPNESS {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            double f = Shapes.uniform(r, 0, 2);
            float[] src = p.clone();
            int plane = h * w;
            for (int c = 0; c < 3; c++) {
                int base = c * plane;
                for (int y = 1; y < h - 1; y++) {
                    for (int x = 1; x < w - 1; x++) {
                        double s = 4 * src[base + y * w + x];
                        for (int dy = -1; dy <= 1; dy++) {
                            for (int dx = -1; dx <= 1; dx++) {
                                s += src[base + (y + dy) * w + x + dx];
                            }
                        }
                        s /= 13;
                        p[base + y * w + x] = clamp((float) (s + f * (src[base + y * w + x] - s)));
                    }
                }
            }
        }
    },
    /** Hue rotated by U(-50, 50)/255 of a turn and saturation shifted by an independent U(-50, 50)/255. */
    HUE_SATURATION {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            double dh = Shapes.uniform(r, -50, 50) / 255.0 * 6;
            double ds = Shapes.uniform(r, -50, 50) / 255.0;
            int plane = h * w;
            double[] hsv = new double[3];
            for (int i = 0; i < plane; i++) {
                rgbToHsv(p[i], p[plane + i], p[2 * plane + i], hsv);
                double hue = hsv[0] + dh;
                hue = hue - 6 * Math.floor(hue / 6);
                float[] rgb = hsvToRgb(hue, Math.min(1, Math.max(0, hsv[1] + ds)), hsv[2]);
                p[i] = rgb[0];
                p[plane + i] = rgb[1];
                p[2 * plane + i] = rgb[2];
            }
        }
    },
    /** With probability 0.5, values at or above a threshold U(32, 128)/255 are inverted. */
    SOLARIZE {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            boolean apply = r.nextDouble() < 0.5;
            double t = Shapes.uniform(r, 32, 128) / 255.0;
            if (apply) {
                for (int i = 0; i < p.length; i++) {
                    if (p[i] >= t) {
                        p[i] = 1 - p[i];
                    }
                }
            }
        }
    },
    /** Keeps the 1 to 8 (uniform) most significant bits of each 8-bit value. */
    POSTERIZE {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            int bits = 1 + r.nextInt(8);
            int mask = (0xFF << (8 - bits)) & 0xFF;
            for (int i = 0; i < p.length; i++) {
                int v = Math.round(clamp(p[i]) * 255);
                p[i] = (v & mask) / 255f;
            }
        }
    },
    /** {@code 1 - v}. */
    INVERT {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            for (int i = 0; i < p.length; i++) {
                p[i] = 1 - p[i];
            }
        }
    },
    /**
     * Per-channel contrast stretch to [0, 1] after cutting U(0, 20) % of the pixels off the histogram
     * (half at each end).
     */
    AUTOCONTRAST {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            double cutoff = Shapes.uniform(r, 0, 0.2);
            int plane = h * w;
            for (int c = 0; c < 3; c++) {
                int[] hist = histogram(p, c * plane, plane);
                int cut = (int) (cutoff / 2 * plane);
                int lo = 0;
                for (int acc = 0; lo < 255 && (acc += hist[lo]) <= cut; lo++) { }
                int hi = 255;
                for (int acc = 0; hi > 0 && (acc += hist[hi]) <= cut; hi--) { }
                if (hi <= lo) {
                    continue;
                }
                float a = lo / 255f;
                float scale = 255f / (hi - lo);
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    p[i] = clamp((p[i] - a) * scale);
                }
            }
        }
    },
    /** Per-channel histogram equalization over 256 levels. */
    EQUALIZE {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            int plane = h * w;
            for (int c = 0; c < 3; c++) {
                int[] hist = histogram(p, c * plane, plane);
                float[] lut = new float[256];
                int first = 0;
                while (first < 255 && hist[first] == 0) {
                    first++;
                }
                int rest = plane - hist[first];
                if (rest == 0) {
                    continue;
                }
                long acc = 0;
                for (int v = 0; v < 256; v++) {
                    if (v > first) {
                        acc += hist[v];
                    }
                    lut[v] = v <= first ? 0f : (float) acc / rest;
                }
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    p[i] = lut[Math.round(clamp(p[i]) * 255)];
                }
            }
        }
    },
    /** Rotation about the centre by U(-45, 45) degrees, black outside the source. */
    AFFINE_ROTATE {
        @Override
        void transform(float[] p, int h, int w, Random r) {
            float[] out = Raster.rotate(p, 3, h, w, Shapes.uniform(r, -45, 45), 0f);
            System.arraycopy(out, 0, p, 0, p.length);
        }
    };

    /** How many distinct augmentations DRAEM applies to each anomaly source image. */
    public static final int DEFAULT_COUNT = 3;

    private static final TextureAugmentation[] ALL = values();

    /** Changes the RGB planes in place. */
    abstract void transform(float[] pixels, int height, int width, Random random);

    /**
     * @param image any image (converted to RGB)
     * @return a changed RGB copy
     */
    public ImageData apply(ImageData image, Random random) {
        ImageData rgb = image.toRgb();
        float[] p = rgb.pixels();
        transform(p, rgb.height(), rgb.width(), random);
        return new ImageData(3, rgb.height(), rgb.width(), p, rgb.source());
    }

    /**
     * Applies {@code count} distinct augmentations drawn uniformly without replacement, in the drawn order.
     *
     * @param image the anomaly source (converted to RGB)
     * @param count how many, in [0, 10]
     * @return the changed RGB copy
     */
    public static ImageData augment(ImageData image, int count, Random random) {
        if (count < 0 || count > ALL.length) {
            throw new IllegalArgumentException("Invalid augmentation count: " + count + " (0 to " + ALL.length + ")");
        }
        TextureAugmentation[] order = ALL.clone();
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(order.length - i);
            TextureAugmentation t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        ImageData rgb = image.toRgb();
        float[] p = rgb.pixels();
        for (int i = 0; i < count; i++) {
            order[i].transform(p, rgb.height(), rgb.width(), random);
        }
        return new ImageData(3, rgb.height(), rgb.width(), p, rgb.source());
    }

    private static int[] histogram(float[] p, int from, int n) {
        int[] hist = new int[256];
        for (int i = from; i < from + n; i++) {
            hist[Math.round(clamp(p[i]) * 255)]++;
        }
        return hist;
    }

    private static float clamp(float v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }

    /** HSV to RGB with hue in [0, 6) sextants, saturation and value in [0, 1]. */
    static float[] hsvToRgb(double hue, double sat, double val) {
        int sector = (int) Math.floor(hue) % 6;
        double f = hue - Math.floor(hue);
        double pp = val * (1 - sat);
        double q = val * (1 - sat * f);
        double t = val * (1 - sat * (1 - f));
        double r;
        double g;
        double b;
        switch (sector) {
            case 0 -> { r = val; g = t; b = pp; }
            case 1 -> { r = q; g = val; b = pp; }
            case 2 -> { r = pp; g = val; b = t; }
            case 3 -> { r = pp; g = q; b = val; }
            case 4 -> { r = t; g = pp; b = val; }
            default -> { r = val; g = pp; b = q; }
        }
        return new float[] {(float) r, (float) g, (float) b};
    }

    /** RGB to HSV (hue in [0, 6) sextants) into {@code out}. */
    static void rgbToHsv(double r, double g, double b, double[] out) {
        double max = Math.max(r, Math.max(g, b));
        double min = Math.min(r, Math.min(g, b));
        double d = max - min;
        double hue;
        if (d <= 0) {
            hue = 0;
        } else if (max == r) {
            hue = ((g - b) / d + 6) % 6;
        } else if (max == g) {
            hue = (b - r) / d + 2;
        } else {
            hue = (r - g) / d + 4;
        }
        out[0] = hue;
        out[1] = max <= 0 ? 0 : d / max;
        out[2] = max;
    }
}
