package dev.anomalysdk.core;

import java.util.Objects;

/**
 * An image decoded into floating point pixels: planar channel-major layout (C x H x W), values in
 * [0, 1] whatever the source bit depth, one channel (grayscale) or three (RGB, in that order).
 *
 * <p>Instances are immutable: the constructor copies nothing, so callers must not modify the array
 * they pass in afterwards. {@link #source()} names where the pixels came from and is used in error
 * messages.
 */
public final class ImageData {
    private final int channels;
    private final int height;
    private final int width;
    private final float[] pixels;
    private final String source;

    /**
     * Wraps pixels.
     *
     * @param channels 1 or 3
     * @param height rows, positive
     * @param width columns, positive
     * @param pixels channel-major values in [0, 1], length channels*height*width
     * @param source a file path or other description used in messages
     */
    public ImageData(int channels, int height, int width, float[] pixels, String source) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(
                    "Image " + source + ": expected 1 or 3 channels, got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "Image " + source + ": invalid size " + width + "x" + height);
        }
        Objects.requireNonNull(pixels, "pixels");
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException("Image " + source + ": " + pixels.length
                    + " values do not match " + channels + "x" + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.source = source == null ? "<memory>" : source;
    }

    /** @return number of channels, 1 or 3 */
    public int channels() {
        return channels;
    }

    /** @return height in pixels */
    public int height() {
        return height;
    }

    /** @return width in pixels */
    public int width() {
        return width;
    }

    /** @return where the image came from (for messages) */
    public String source() {
        return source;
    }

    /** @return the value of channel {@code c} at row {@code y}, column {@code x} */
    public float get(int c, int y, int x) {
        return pixels[(c * height + y) * width + x];
    }

    /** @return a copy of the channel-major pixel array */
    public float[] pixels() {
        return pixels.clone();
    }

    /** @return the pixel array itself, for read-only use inside the SDK (no copy) */
    public float[] pixelsView() {
        return pixels;
    }

    /** @return this image with three channels (a grayscale image is replicated) */
    public ImageData toRgb() {
        if (channels == 3) {
            return this;
        }
        int plane = height * width;
        float[] rgb = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(pixels, 0, rgb, c * plane, plane);
        }
        return new ImageData(3, height, width, rgb, source);
    }

    /** @return this image with one channel (ITU-R BT.601 luma of an RGB image) */
    public ImageData toGray() {
        if (channels == 1) {
            return this;
        }
        int plane = height * width;
        float[] gray = new float[plane];
        for (int i = 0; i < plane; i++) {
            gray[i] = 0.299f * pixels[i] + 0.587f * pixels[plane + i] + 0.114f * pixels[2 * plane + i];
        }
        return new ImageData(1, height, width, gray, source);
    }

    /** @return this image with the given number of channels (1 or 3) */
    public ImageData withChannels(int wanted) {
        return wanted == 1 ? toGray() : toRgb();
    }
}
