package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * DRAEM's anomaly: a texture pasted into the image under a thresholded Perlin-noise mask.
 *
 * <p><b>Mask.</b> Perlin noise ({@link PerlinNoise}) with {@code 2^a x 2^b} lattice cells, exponents
 * {@code a} and {@code b} drawn independently and uniformly from {@code {0, ..., 5}} (1 to 32 cells per axis),
 * rotated about the centre by an angle uniform in (-90, 90) degrees (corners brought in from outside get
 * noise 0), thresholded: {@code M = 1} where noise {@code > 0.5}, else 0. The mask is binary.
 *
 * <p><b>Blend.</b> The texture {@code A} ({@link TextureSource}, then {@link TextureAugmentation#augment} with
 * three random operations unless disabled) replaces the image under the mask with an opacity drawn per
 * sample: {@code beta = U(0, 1) * 0.8} and
 * <pre>  I_a = I * (1 - M) + (1 - beta) * A * M + beta * I * M</pre>
 * so the pasted texture keeps at least 20 % of its strength. A grey image gets the texture's luma.
 *
 * <p>As an {@link AnomalyGenerator} it can join other mixes ({@link AnomalySynthesizer.Builder#add}); the
 * DRAEM training recipe (clean half, rotation of the normal image, labels) is {@link DraemAugmenter}.
 * Immutable; thread-safe when its texture source is.
 */
public final class PerlinAnomaly implements AnomalyGenerator {
    /** Smallest lattice-scale exponent (inclusive). */
    public static final int MIN_SCALE_EXPONENT = 0;
    /** Largest lattice-scale exponent (exclusive): scales are 1, 2, 4, 8, 16, 32. */
    public static final int MAX_SCALE_EXPONENT = 6;
    /** Noise above this is inside the mask. */
    public static final double THRESHOLD = 0.5;
    /** Largest absolute rotation of the noise, degrees (exclusive). */
    public static final double MAX_ROTATION = 90;
    /** {@code beta = U(0, 1) * MAX_BETA}. */
    public static final double MAX_BETA = 0.8;

    private final TextureSource textures;
    private final int augmentations;

    /**
     * @param textures where pasted content comes from
     * @param augmentations how many {@link TextureAugmentation}s are applied to each texture (DRAEM: 3; 0 for
     *     none)
     */
    public PerlinAnomaly(TextureSource textures, int augmentations) {
        if (textures == null) {
            throw new IllegalArgumentException("textures is required");
        }
        if (augmentations < 0 || augmentations > TextureAugmentation.values().length) {
            throw new IllegalArgumentException("Invalid augmentation count: " + augmentations);
        }
        this.textures = textures;
        this.augmentations = augmentations;
    }

    /** @return DRAEM's setting: the given textures with three augmentations each */
    public static PerlinAnomaly draem(TextureSource textures) {
        return new PerlinAnomaly(textures, TextureAugmentation.DEFAULT_COUNT);
    }

    /** @return the texture source */
    public TextureSource textures() {
        return textures;
    }

    /**
     * A drawn mask and how it was drawn.
     *
     * @param values row-major binary mask (0 or 1)
     * @param scaleY lattice cells along the rows
     * @param scaleX lattice cells along the columns
     * @param angle rotation in degrees
     */
    public record PerlinMask(float[] values, int scaleY, int scaleX, double angle) {
        /** @return the fraction of pixels inside the mask */
        public double coverage() {
            int n = 0;
            for (float v : values) {
                if (v > 0) {
                    n++;
                }
            }
            return n / (double) values.length;
        }
    }

    /**
     * Draws a DRAEM Perlin mask.
     *
     * @return the binary mask of {@code height x width} and its parameters
     */
    public static PerlinMask mask(int height, int width, Random random) {
        int scaleY = 1 << (MIN_SCALE_EXPONENT + random.nextInt(MAX_SCALE_EXPONENT - MIN_SCALE_EXPONENT));
        int scaleX = 1 << (MIN_SCALE_EXPONENT + random.nextInt(MAX_SCALE_EXPONENT - MIN_SCALE_EXPONENT));
        float[] noise = PerlinNoise.noise(height, width, scaleY, scaleX, random);
        double angle = (2 * random.nextDouble() - 1) * MAX_ROTATION;
        float[] rotated = PerlinNoise.rotate(noise, height, width, angle);
        float[] m = new float[rotated.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = rotated[i] > THRESHOLD ? 1f : 0f;
        }
        return new PerlinMask(m, scaleY, scaleX, angle);
    }

    /**
     * One blended anomaly.
     *
     * @param image the changed image
     * @param mask its mask and parameters
     * @param beta the opacity parameter in [0, 0.8)
     * @param texture where the texture came from
     */
    public record Blend(ImageData image, PerlinMask mask, double beta, String texture) { }

    /**
     * Pastes a texture into an image under a Perlin mask.
     *
     * @param target a normal image (not modified)
     * @return the blended image, mask and parameters; the image equals the target where the mask is 0
     */
    public Blend blend(ImageData target, Random random) {
        int h = target.height();
        int w = target.width();
        ImageData texture = textures.texture(h, w, random);
        if (texture.height() != h || texture.width() != w) {
            throw new IllegalStateException(textures.describe() + " returned a " + texture.width() + "x"
                    + texture.height() + " texture for a " + w + "x" + h + " image");
        }
        if (augmentations > 0) {
            texture = TextureAugmentation.augment(texture, augmentations, random);
        }
        texture = texture.withChannels(target.channels());
        PerlinMask mask = mask(h, w, random);
        double beta = random.nextDouble() * MAX_BETA;
        float[] in = target.pixelsView();
        float[] a = texture.pixelsView();
        float[] out = in.clone();
        int plane = h * w;
        float keep = (float) beta;
        for (int c = 0; c < target.channels(); c++) {
            for (int i = 0; i < plane; i++) {
                if (mask.values()[i] > 0) {
                    int k = c * plane + i;
                    out[k] = (1 - keep) * a[k] + keep * in[k];
                }
            }
        }
        return new Blend(new ImageData(target.channels(), h, w, out, target.source() + "+perlin"), mask, beta,
                texture.source());
    }

    /** The {@link AnomalyGenerator} view: the source image is not used (the texture source is). */
    @Override
    public Change apply(ImageData target, ImageData source, Random random) {
        Blend b = blend(target, random);
        return new Change(b.image().pixels(), b.mask().values().clone());
    }
}
