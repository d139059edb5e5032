package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;

/**
 * A training sample made by {@link AnomalySynthesizer}: the (possibly) changed image and its soft label map.
 *
 * @param image the image, same size and channels as the normal image it was made from
 * @param mask the soft label, row-major {@code height x width}, values in [0, 1]; all zero for a clean sample
 * @param kind the generator's name, or {@code "clean"}
 * @param visibility the label's strength in [0, 1] (see {@link AnomalySynthesizer}); 0 for a clean sample
 */
public record SyntheticAnomaly(ImageData image, float[] mask, String kind, float visibility) {
    /** Name of the kind of a sample left unchanged. */
    public static final String CLEAN = "clean";

    /** Checks the mask size. */
    public SyntheticAnomaly {
        if (mask.length != image.height() * image.width()) {
            throw new IllegalArgumentException("Mask has " + mask.length + " values for a " + image.width() + "x"
                    + image.height() + " image");
        }
    }

    /** @return whether the image was left unchanged */
    public boolean isClean() {
        return kind.equals(CLEAN);
    }

    /** @return the fraction of pixels whose label is above 0 */
    public double coverage() {
        int c = 0;
        for (float v : mask) {
            if (v > 0) {
                c++;
            }
        }
        return c / (double) mask.length;
    }

    /** @return the largest label value */
    public float maxLabel() {
        float m = 0;
        for (float v : mask) {
            m = Math.max(m, v);
        }
        return m;
    }
}
