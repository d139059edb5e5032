package dev.anomalysdk.core;

/**
 * A binary per-pixel mask (true = defect), row-major.
 *
 * @param height rows
 * @param width columns
 * @param pixels row-major flags, length height*width
 */
public record Mask(int height, int width, boolean[] pixels) {
    /** Validates the size. */
    public Mask {
        if (height <= 0 || width <= 0 || pixels.length != height * width) {
            throw new IllegalArgumentException("Invalid mask: " + pixels.length + " pixels for "
                    + width + "x" + height);
        }
    }

    /** @return whether pixel (y, x) is marked */
    public boolean get(int y, int x) {
        return pixels[y * width + x];
    }

    /** @return number of marked pixels */
    public int count() {
        int n = 0;
        for (boolean p : pixels) {
            if (p) {
                n++;
            }
        }
        return n;
    }
}
