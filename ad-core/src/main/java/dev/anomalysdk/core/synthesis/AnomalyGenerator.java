package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * One way of making a synthetic defect on a normal image: a patch transplant, a procedural blob or line,
 * a texture pasted under a noise mask, and so on. {@link AnomalySynthesizer} picks generators at random,
 * leaves part of the samples clean and turns the region into a soft label.
 *
 * <p>Implementations must draw all randomness from the given {@link Random} (same generator state, same
 * defect) and must not modify the images they are given.
 */
@FunctionalInterface
public interface AnomalyGenerator {

    /**
     * A changed image and where it was changed.
     *
     * @param pixels the changed image, channel-major like {@link ImageData}, same size as the target
     * @param region the changed area, row-major {@code height x width}, values in [0, 1] (soft edges allowed)
     */
    record Change(float[] pixels, float[] region) { }

    /**
     * @param target the normal image to change
     * @param source another normal image of the same kind (same channel count; may be the target itself), for
     *     generators that copy content
     * @param random the generator to draw from
     * @return the change
     */
    Change apply(ImageData target, ImageData source, Random random);
}
