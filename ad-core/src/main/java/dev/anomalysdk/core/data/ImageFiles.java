package dev.anomalysdk.core.data;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Reads images and masks from files into {@link ImageData} and {@link Mask}. */
public final class ImageFiles {
    private ImageFiles() {}

    /**
     * Reads an image as grayscale (1 channel) or RGB (3 channels), values scaled to [0, 1].
     *
     * @throws IOException naming the file when it is missing, unreadable or truncated
     */
    public static ImageData read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Image file not found: " + file);
        }
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException("Unreadable image (unknown format): " + file);
        }
        int w = img.getWidth();
        int h = img.getHeight();
        boolean gray = img.getColorModel().getNumColorComponents() == 1 && !(img.getColorModel() instanceof java.awt.image.IndexColorModel);
        if (gray) {
            Raster r = img.getRaster();
            int bits = img.getColorModel().getComponentSize(0);
            float scale = (float) ((1L << bits) - 1);
            float[] px = new float[h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    px[y * w + x] = r.getSample(x, y, 0) / scale;
                }
            }
            return new ImageData(1, h, w, px, file.toString());
        }
        float[] px = new float[3 * h * w];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                px[y * w + x] = ((rgb >> 16) & 0xFF) / 255f;
                px[plane + y * w + x] = ((rgb >> 8) & 0xFF) / 255f;
                px[2 * plane + y * w + x] = (rgb & 0xFF) / 255f;
            }
        }
        return new ImageData(3, h, w, px, file.toString());
    }

    /**
     * Reads a ground-truth mask: any non-zero pixel is a defect.
     *
     * @param file the mask file
     * @param height the image's height
     * @param width the image's width
     * @param image the image the mask belongs to (for messages)
     * @throws IOException naming both files when the mask cannot be read or its size differs
     */
    public static Mask readMask(Path file, int height, int width, Path image) throws IOException {
        ImageData m = read(file);
        if (m.height() != height || m.width() != width) {
            throw new IOException("Mask " + file + " is " + m.width() + "x" + m.height() + " but image " + image
                    + " is " + width + "x" + height);
        }
        boolean[] px = new boolean[height * width];
        float[] v = m.pixelsView();
        int plane = height * width;
        for (int c = 0; c < m.channels(); c++) {
            for (int i = 0; i < plane; i++) {
                px[i] |= v[c * plane + i] > 0;
            }
        }
        return new Mask(height, width, px);
    }
}
