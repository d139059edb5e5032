package dev.anomalysdk.core;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * Per-pixel anomaly scores (higher = more anomalous) with the operations every method needs:
 * bilinear resizing, Gaussian smoothing, average pooling, normalization, thresholding and rendering.
 *
 * <p>Immutable: every operation returns a new map. Values are row-major, {@code height * width}.
 */
public final class AnomalyMap {
    private final int height;
    private final int width;
    private final float[] values;

    /**
     * Wraps scores.
     *
     * @param height rows
     * @param width columns
     * @param values row-major scores, length height*width; must be finite
     */
    public AnomalyMap(int height, int width, float[] values) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("Invalid anomaly map size " + width + "x" + height);
        }
        if (values.length != height * width) {
            throw new IllegalArgumentException(
                    values.length + " values do not match map size " + width + "x" + height);
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("Anomaly map value at (" + (i / width) + ", "
                        + (i % width) + ") is not finite: " + values[i]);
            }
        }
        this.height = height;
        this.width = width;
        this.values = values;
    }

    /** @return a map of the given size filled with one value */
    public static AnomalyMap filled(int height, int width, float value) {
        float[] v = new float[height * width];
        Arrays.fill(v, value);
        return new AnomalyMap(height, width, v);
    }

    /** @return rows */
    public int height() {
        return height;
    }

    /** @return columns */
    public int width() {
        return width;
    }

    /** @return score at row y, column x */
    public float get(int y, int x) {
        return values[y * width + x];
    }

    /** @return a copy of the row-major scores */
    public float[] values() {
        return values.clone();
    }

    /** @return the scores themselves, for read-only use inside the SDK (no copy) */
    public float[] valuesView() {
        return values;
    }

    /** @return the largest score */
    public float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** @return the smallest score */
    public float min() {
        float m = Float.POSITIVE_INFINITY;
        for (float v : values) {
            m = Math.min(m, v);
        }
        return m;
    }

    /**
     * Bilinear resize.
     *
     * @param newHeight target rows
     * @param newWidth target columns
     * @param alignCorners {@code false} = half-pixel centres (PyTorch {@code align_corners=False},
     *     used by PatchCore); {@code true} = corner pixels aligned (used by Reverse Distillation and CFLOW)
     * @return the resized map
     */
    public AnomalyMap resize(int newHeight, int newWidth, boolean alignCorners) {
        if (newHeight == height && newWidth == width) {
            return this;
        }
        float[] out = new float[newHeight * newWidth];
        int[] y0 = new int[newHeight];
        int[] y1 = new int[newHeight];
        float[] fy = new float[newHeight];
        sampleGrid(height, newHeight, alignCorners, y0, y1, fy);
        int[] x0 = new int[newWidth];
        int[] x1 = new int[newWidth];
        float[] fx = new float[newWidth];
        sampleGrid(width, newWidth, alignCorners, x0, x1, fx);
        for (int y = 0; y < newHeight; y++) {
            int r0 = y0[y] * width;
            int r1 = y1[y] * width;
            float wy = fy[y];
            for (int x = 0; x < newWidth; x++) {
                float top = values[r0 + x0[x]] * (1 - fx[x]) + values[r0 + x1[x]] * fx[x];
                float bottom = values[r1 + x0[x]] * (1 - fx[x]) + values[r1 + x1[x]] * fx[x];
                out[y * newWidth + x] = top * (1 - wy) + bottom * wy;
            }
        }
        return new AnomalyMap(newHeight, newWidth, out);
    }

    /** Source indices and weights of bilinear sampling along one axis, as PyTorch computes them. */
    static void sampleGrid(int in, int out, boolean alignCorners, int[] i0, int[] i1, float[] frac) {
        for (int o = 0; o < out; o++) {
            double src;
            if (alignCorners) {
                src = out == 1 ? 0 : o * (double) (in - 1) / (out - 1);
            } else {
                src = Math.max(0, (o + 0.5) * in / (double) out - 0.5);
            }
            int lo = Math.min((int) Math.floor(src), in - 1);
            int hi = Math.min(lo + 1, in - 1);
            i0[o] = lo;
            i1[o] = hi;
            frac[o] = (float) (src - lo);
        }
    }

    /**
     * Gaussian smoothing as {@code scipy.ndimage.gaussian_filter(sigma)} computes it: a separable kernel
     * of radius {@code int(4*sigma + 0.5)} (size {@code 2*int(4*sigma+0.5)+1}, 33 for sigma 4) and
     * mirrored borders (edge sample repeated).
     *
     * @param sigma standard deviation in pixels, positive
     * @return the smoothed map
     */
    public AnomalyMap gaussianBlur(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("Invalid Gaussian sigma: " + sigma);
        }
        int radius = (int) (4 * sigma + 0.5);
        double[] kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            kernel[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += kernel[i + radius];
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] /= sum;
        }
        // Separable passes; borders are resolved once into index tables so the inner loops are plain
        // multiply-adds (each pixel still sums its taps in ascending order, in double like scipy).
        int[] columns = new int[width + 2 * radius];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = mirror(i - radius, width);
        }
        float[] tmp = new float[values.length];
        double[] padded = new double[columns.length];
        for (int y = 0; y < height; y++) {
            int row = y * width;
            for (int i = 0; i < columns.length; i++) {
                padded[i] = values[row + columns[i]];
            }
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int k = 0; k < kernel.length; k++) {
                    acc += kernel[k] * padded[x + k];
                }
                tmp[row + x] = (float) acc;
            }
        }
        float[] out = new float[values.length];
        double[] acc = new double[width];
        for (int y = 0; y < height; y++) {
            Arrays.fill(acc, 0);
            for (int k = 0; k < kernel.length; k++) {
                int src = mirror(y + k - radius, height) * width;
                double weight = kernel[k];
                for (int x = 0; x < width; x++) {
                    acc[x] += weight * tmp[src + x];
                }
            }
            for (int x = 0; x < width; x++) {
                out[y * width + x] = (float) acc[x];
            }
        }
        return new AnomalyMap(height, width, out);
    }

    /** Half-sample symmetric reflection (scipy mode "reflect"), valid for any offset. */
    static int mirror(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }

    /**
     * Average pooling with stride 1 and zero padding {@code size/2}, counting the padding like
     * PyTorch's {@code avg_pool2d} default (DRAEM's image score uses size 21).
     *
     * @param size odd window size
     * @return the pooled map, same size
     */
    public AnomalyMap averagePool(int size) {
        if (size < 1 || size % 2 == 0) {
            throw new IllegalArgumentException("Invalid pooling window (must be odd): " + size);
        }
        int r = size / 2;
        // Summed-area table makes each window O(1).
        double[] sat = new double[(height + 1) * (width + 1)];
        for (int y = 0; y < height; y++) {
            double row = 0;
            for (int x = 0; x < width; x++) {
                row += values[y * width + x];
                sat[(y + 1) * (width + 1) + x + 1] = sat[y * (width + 1) + x + 1] + row;
            }
        }
        float[] out = new float[values.length];
        double area = (double) size * size;
        for (int y = 0; y < height; y++) {
            int ya = Math.max(0, y - r);
            int yb = Math.min(height, y + r + 1);
            for (int x = 0; x < width; x++) {
                int xa = Math.max(0, x - r);
                int xb = Math.min(width, x + r + 1);
                double s = sat[yb * (width + 1) + xb] - sat[ya * (width + 1) + xb]
                        - sat[yb * (width + 1) + xa] + sat[ya * (width + 1) + xa];
                out[y * width + x] = (float) (s / area);
            }
        }
        return new AnomalyMap(height, width, out);
    }

    /**
     * Min-max normalization centred on a threshold, as anomalib does:
     * {@code clamp((v - threshold) / (max - min) + 0.5, 0, 1)}, so the threshold maps to 0.5.
     *
     * @param threshold raw score that separates normal from anomalous
     * @param min smallest raw score seen during calibration
     * @param max largest raw score seen during calibration
     * @return the normalized map
     */
    public AnomalyMap normalized(float threshold, float min, float max) {
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = normalize(values[i], threshold, min, max);
        }
        return new AnomalyMap(height, width, out);
    }

    /** The scalar form of {@link #normalized(float, float, float)}. */
    public static float normalize(float value, float threshold, float min, float max) {
        float range = max - min;
        if (!(range > 0)) {
            range = 1;
        }
        return Math.min(1f, Math.max(0f, (value - threshold) / range + 0.5f));
    }

    /** @return the pixels whose score is at or above the threshold */
    public Mask threshold(float threshold) {
        boolean[] m = new boolean[values.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = values[i] >= threshold;
        }
        return new Mask(height, width, m);
    }

    /**
     * Colour heat map (blue = low, red = high) with scores scaled linearly from {@code low} to
     * {@code high}.
     *
     * @param low score drawn as the coldest colour
     * @param high score drawn as the hottest colour
     * @return an RGB image of the map's size
     */
    public BufferedImage heatmap(float low, float high) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        float range = high > low ? high - low : 1f;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float t = Math.min(1f, Math.max(0f, (values[y * width + x] - low) / range));
                img.setRGB(x, y, jet(t));
            }
        }
        return img;
    }

    /**
     * The heat map blended over an image of the same size.
     *
     * @param image the picture the map was computed for
     * @param low score drawn as the coldest colour
     * @param high score drawn as the hottest colour
     * @param alpha weight of the heat map, in [0, 1]
     * @return an RGB image
     */
    public BufferedImage overlay(ImageData image, float low, float high, float alpha) {
        if (image.height() != height || image.width() != width) {
            throw new IllegalArgumentException("Image " + image.source() + " is " + image.width() + "x"
                    + image.height() + " but the anomaly map is " + width + "x" + height);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("Invalid overlay alpha: " + alpha);
        }
        ImageData rgb = image.toRgb();
        BufferedImage heat = heatmap(low, high);
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int h = heat.getRGB(x, y);
                int r = blend(rgb.get(0, y, x), (h >> 16) & 0xFF, alpha);
                int g = blend(rgb.get(1, y, x), (h >> 8) & 0xFF, alpha);
                int b = blend(rgb.get(2, y, x), h & 0xFF, alpha);
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }

    private static int blend(float pixel, int heat, float alpha) {
        return Math.round((1 - alpha) * pixel * 255f + alpha * heat);
    }

    /** The classic "jet" colour map. */
    private static int jet(float t) {
        float r = clamp01(1.5f - Math.abs(4 * t - 3));
        float g = clamp01(1.5f - Math.abs(4 * t - 2));
        float b = clamp01(1.5f - Math.abs(4 * t - 1));
        return (Math.round(r * 255) << 16) | (Math.round(g * 255) << 8) | Math.round(b * 255);
    }

    private static float clamp01(float v) {
        return Math.min(1f, Math.max(0f, v));
    }
}
