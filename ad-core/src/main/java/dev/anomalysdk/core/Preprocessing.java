package dev.anomalysdk.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How an image becomes a network input, and how a map at network resolution goes back to the image:
 * channel conversion, resize, optional center crop, per-channel normalization. Saved with every model so
 * that a loaded detector sees exactly what the trained one saw.
 *
 * <p>Resizing is bilinear with PIL/torchvision-style antialiasing when shrinking (a triangle filter widened
 * by the scale factor), plain bilinear when enlarging.
 *
 * @param channels 1 (grayscale) or 3 (RGB) network input channels
 * @param resizeMode how {@code resize} is applied
 * @param resize target side in pixels: the shorter side ({@link ResizeMode#SHORTER_SIDE}) or both sides
 *     ({@link ResizeMode#SQUARE})
 * @param cropSize side of the center crop taken after resizing, or 0 for none
 * @param mean per-channel mean subtracted after scaling to [0, 1] (length {@code channels})
 * @param std per-channel standard deviation divided by (length {@code channels})
 */
public record Preprocessing(int channels, ResizeMode resizeMode, int resize, int cropSize, float[] mean,
        float[] std) {

    /** ImageNet channel means, used with torchvision/timm backbones. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet channel standard deviations. */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** How the resize target applies to the image's sides. */
    public enum ResizeMode {
        /** Scale so the shorter side equals {@code resize}, keeping the aspect ratio (torchvision {@code Resize(int)}). */
        SHORTER_SIDE,
        /** Scale both sides to {@code resize}, ignoring the aspect ratio. */
        SQUARE
    }

    /** Validates the fields. */
    public Preprocessing {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("Invalid channel count: " + channels + " (1 or 3)");
        }
        if (resize < 1) {
            throw new IllegalArgumentException("Invalid resize: " + resize);
        }
        if (cropSize < 0 || cropSize > resize) {
            throw new IllegalArgumentException("Invalid crop size " + cropSize + " for resize " + resize);
        }
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean and std need " + channels + " values each");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("Invalid std (must be > 0): " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * The pre-processing the shared size keys describe ({@code image_size}, {@code crop_size} of
     * {@link dev.anomalysdk.core.config.SharedParams}): with a crop, the shorter side resized to
     * {@code imageSize} then a center crop; without, a square resize to {@code imageSize}.
     *
     * @throws IllegalArgumentException naming both keys when the crop exceeds the resize
     */
    public static Preprocessing sized(int imageSize, int cropSize, float[] mean, float[] std) {
        checkSizes(imageSize, cropSize);
        return cropSize > 0
                ? new Preprocessing(mean.length, ResizeMode.SHORTER_SIDE, imageSize, cropSize, mean, std)
                : new Preprocessing(mean.length, ResizeMode.SQUARE, imageSize, 0, mean, std);
    }

    /**
     * Checks the shared size keys together, as every detector's options type does at creation.
     *
     * @throws IllegalArgumentException naming both keys when the crop exceeds the resize
     */
    public static void checkSizes(int imageSize, int cropSize) {
        if (cropSize > imageSize) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize
                    + " (must not exceed image_size " + imageSize + "; set crop_size=0 for no crop)");
        }
    }

    /** @return RGB, shorter side resized then center-cropped, ImageNet normalization (PatchCore, PaDiM) */
    public static Preprocessing imagenet(int resize, int cropSize) {
        return new Preprocessing(3, ResizeMode.SHORTER_SIDE, resize, cropSize, IMAGENET_MEAN, IMAGENET_STD);
    }

    /** @return square resize to {@code size}, no crop, values left in [0, 1] */
    public static Preprocessing unnormalized(int channels, int size) {
        float[] zeros = new float[channels];
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        return new Preprocessing(channels, ResizeMode.SQUARE, size, 0, zeros, ones);
    }

    /** @return the per-channel mean (a copy) */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** @return the per-channel standard deviation (a copy) */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** @return network input {height, width} for an image of the given size */
    public int[] outputSize(int imageHeight, int imageWidth) {
        int[] r = resizedSize(imageHeight, imageWidth);
        return cropSize > 0 ? new int[] {cropSize, cropSize} : r;
    }

    private int[] resizedSize(int h, int w) {
        if (resizeMode == ResizeMode.SQUARE) {
            return new int[] {resize, resize};
        }
        // torchvision: the shorter side becomes `resize`, the longer is truncated after scaling.
        if (h <= w) {
            return new int[] {resize, (int) ((long) resize * w / h)};
        }
        return new int[] {(int) ((long) resize * h / w), resize};
    }

    /**
     * @param image any image
     * @return the normalized network input, channel-major, of size {@link #outputSize(int, int)}
     */
    public float[] apply(ImageData image) {
        ImageData img = image.withChannels(channels);
        int[] rs = resizedSize(img.height(), img.width());
        int[] out = outputSize(img.height(), img.width());
        int top = cropOffset(rs[0], out[0]);
        int left = cropOffset(rs[1], out[1]);
        int plane = img.height() * img.width();
        float[] src = img.pixelsView();
        float[] result = new float[channels * out[0] * out[1]];
        for (int c = 0; c < channels; c++) {
            float[] resized = resample(Arrays.copyOfRange(src, c * plane, (c + 1) * plane),
                    img.height(), img.width(), rs[0], rs[1]);
            for (int y = 0; y < out[0]; y++) {
                for (int x = 0; x < out[1]; x++) {
                    float v = resized[(y + top) * rs[1] + x + left];
                    result[(c * out[0] + y) * out[1] + x] = (v - mean[c]) / std[c];
                }
            }
        }
        return result;
    }

    /** torchvision's center crop offset: {@code int(round((size - crop) / 2.0))}. */
    private static int cropOffset(int size, int crop) {
        return (int) Math.round((size - crop) / 2.0);
    }

    /**
     * @param images images of any sizes that preprocess to the same size
     * @param manager owner of the returned array
     * @return float32 NCHW batch
     */
    public NDArray toTensor(List<ImageData> images, NDManager manager) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("Empty image batch");
        }
        int[] size = outputSize(images.get(0).height(), images.get(0).width());
        int per = channels * size[0] * size[1];
        float[] batch = new float[per * images.size()];
        for (int i = 0; i < images.size(); i++) {
            ImageData img = images.get(i);
            int[] s = outputSize(img.height(), img.width());
            if (s[0] != size[0] || s[1] != size[1]) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "Image %s preprocesses to %dx%d but %s to %dx%d; batch images of one size",
                        img.source(), s[1], s[0], images.get(0).source(), size[1], size[0]));
            }
            System.arraycopy(apply(img), 0, batch, i * per, per);
        }
        return manager.create(batch, new Shape(images.size(), channels, size[0], size[1]));
    }

    /**
     * Brings a map computed on the network input back to the original image: the cropped-away border
     * gets the map's minimum (no evidence there), then the map is resized bilinearly to the image size.
     *
     * @param networkMap map at network input size (or any size with the same aspect, it is resized first)
     * @param imageHeight original image rows
     * @param imageWidth original image columns
     * @return the map at the image's resolution
     */
    public AnomalyMap toImage(AnomalyMap networkMap, int imageHeight, int imageWidth) {
        int[] rs = resizedSize(imageHeight, imageWidth);
        int[] out = outputSize(imageHeight, imageWidth);
        AnomalyMap m = networkMap.resize(out[0], out[1], false);
        if (out[0] != rs[0] || out[1] != rs[1]) {
            int top = cropOffset(rs[0], out[0]);
            int left = cropOffset(rs[1], out[1]);
            float[] full = new float[rs[0] * rs[1]];
            Arrays.fill(full, m.min());
            float[] v = m.valuesView();
            for (int y = 0; y < out[0]; y++) {
                System.arraycopy(v, y * out[1], full, (y + top) * rs[1] + left, out[1]);
            }
            m = new AnomalyMap(rs[0], rs[1], full);
        }
        return m.resize(imageHeight, imageWidth, false);
    }

    /** Separable resampling of one plane: antialiased when shrinking, bilinear when enlarging. */
    static float[] resample(float[] plane, int h, int w, int newH, int newW) {
        float[] horizontal = new float[h * newW];
        resampleAxis(plane, h, w, newW, true, horizontal);
        float[] out = new float[newH * newW];
        resampleAxis(horizontal, h, newW, newH, false, out);
        return out;
    }

    private static void resampleAxis(float[] in, int h, int w, int outLen, boolean alongWidth, float[] out) {
        int inLen = alongWidth ? w : h;
        int lines = alongWidth ? h : w;
        double scale = inLen / (double) outLen;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // triangle filter of radius 1, widened when shrinking
        for (int o = 0; o < outLen; o++) {
            double center = (o + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
            int hi = Math.min(inLen, (int) Math.floor(center + support + 0.5));
            double[] weights = new double[Math.max(0, hi - lo)];
            double total = 0;
            for (int i = lo; i < hi; i++) {
                double t = Math.abs((i - center + 0.5) / filterScale);
                double wgt = t < 1 ? 1 - t : 0;
                weights[i - lo] = wgt;
                total += wgt;
            }
            for (int line = 0; line < lines; line++) {
                double acc = 0;
                for (int i = lo; i < hi; i++) {
                    int idx = alongWidth ? line * w + i : i * w + line;
                    acc += weights[i - lo] * in[idx];
                }
                int dst = alongWidth ? line * outLen + o : o * w + line;
                out[dst] = (float) (total > 0 ? acc / total : 0);
            }
        }
    }
}
