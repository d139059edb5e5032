package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Locale;
import java.util.Random;

/**
 * DRAEM's training-sample recipe (Zavrtanik et al., ICCV 2021), from a normal image:
 * <ol>
 *   <li>with probability {@code rotateProbability} (DRAEM: 0.3) the normal image is rotated about its centre by
 *       an angle uniform in (-90, 90) degrees (black corners); the result is the reconstruction target;</li>
 *   <li>with probability {@code cleanProbability} (0.5) it is returned unchanged with an empty mask, label 0;</li>
 *   <li>otherwise a {@link PerlinAnomaly} is pasted; if its mask happens to be empty the label is 0.</li>
 * </ol>
 * Deterministic: the same {@link Random} state and image give the same sample. Immutable; thread-safe when the
 * texture source is.
 */
public final class DraemAugmenter {
    /** DRAEM's probability of rotating the normal image. */
    public static final double DEFAULT_ROTATE_PROBABILITY = 0.3;
    /** Largest absolute rotation of the normal image, degrees (exclusive). */
    public static final double MAX_IMAGE_ROTATION = 90;

    private final PerlinAnomaly anomaly;
    private final double rotateProbability;
    private final double cleanProbability;

    /**
     * @param anomaly the anomaly to paste
     * @param rotateProbability probability in [0, 1] of rotating the normal image first
     * @param cleanProbability probability in [0, 1) of leaving the sample normal
     */
    public DraemAugmenter(PerlinAnomaly anomaly, double rotateProbability, double cleanProbability) {
        if (anomaly == null) {
            throw new IllegalArgumentException("anomaly is required");
        }
        if (!(rotateProbability >= 0) || rotateProbability > 1) {
            throw new IllegalArgumentException("Invalid rotate probability: " + rotateProbability + " (in [0, 1])");
        }
        if (!(cleanProbability >= 0) || cleanProbability >= 1) {
            throw new IllegalArgumentException("Invalid clean probability: " + cleanProbability + " (in [0, 1))");
        }
        this.anomaly = anomaly;
        this.rotateProbability = rotateProbability;
        this.cleanProbability = cleanProbability;
    }

    /** @return DRAEM's recipe with the given textures: three augmentations, rotation p 0.3, half clean */
    public static DraemAugmenter draem(TextureSource textures) {
        return new DraemAugmenter(PerlinAnomaly.draem(textures), DEFAULT_ROTATE_PROBABILITY, 0.5);
    }

    /**
     * One training sample.
     *
     * @param normal the normal image after the optional rotation (the reconstruction target)
     * @param augmented the network input: {@code normal} with the anomaly pasted, or {@code normal} itself
     * @param mask row-major binary label, all zero for a normal sample
     * @param anomalous whether the mask has any pixel set
     * @param beta the blend's opacity parameter, or NaN when nothing was pasted
     * @param rotation the normal image's rotation in degrees (0 when not rotated)
     */
    public record TrainingPair(ImageData normal, ImageData augmented, float[] mask, boolean anomalous, double beta,
            double rotation) { }

    /**
     * Makes one sample.
     *
     * @param image a normal image
     * @param random the generator to draw from
     */
    public TrainingPair sample(ImageData image, Random random) {
        ImageData normal = image;
        double rotation = 0;
        if (random.nextDouble() < rotateProbability) {
            rotation = (2 * random.nextDouble() - 1) * MAX_IMAGE_ROTATION;
            normal = new ImageData(image.channels(), image.height(), image.width(),
                    Raster.rotate(image.pixelsView(), image.channels(), image.height(), image.width(), rotation, 0f),
                    image.source());
        }
        int plane = image.height() * image.width();
        if (random.nextDouble() < cleanProbability) {
            return new TrainingPair(normal, normal, new float[plane], false, Double.NaN, rotation);
        }
        PerlinAnomaly.Blend b = anomaly.blend(normal, random);
        float[] mask = b.mask().values();
        boolean any = false;
        for (float v : mask) {
            if (v > 0) {
                any = true;
                break;
            }
        }
        // An empty mask leaves the image unchanged: a normal sample.
        return new TrainingPair(normal, b.image(), mask, any, b.beta(), rotation);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "DraemAugmenter(%s, rotate %.2f, clean %.2f)", anomaly.textures().describe(),
                rotateProbability, cleanProbability);
    }
}
