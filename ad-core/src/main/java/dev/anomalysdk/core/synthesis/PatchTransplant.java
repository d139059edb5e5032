package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * NSA-style patch transplant (Schlüter et al., "Natural Synthetic Anomalies for Self-Supervised Anomaly
 * Detection and Localization", ECCV 2022): a rectangle cut from one normal image is pasted at another place
 * of another (or the same) normal image, after a random flip and a random contrast and brightness change,
 * and blended so that no seam betrays it: by Poisson (seamless) cloning, which keeps the patch's gradients
 * and takes its boundary values from the target, or by a feathered alpha blend.
 *
 * <p>Patch sides: {@code s = U(minSize, maxSize) * min(height, width)} with an aspect ratio drawn
 * log-uniformly in [1/2, 2] ({@code s/sqrt(a)} by {@code s*sqrt(a)}). With probability
 * {@code recolourProbability} a patch has its contrast scaled by U(0.7, 1.4) about the patch mean and its
 * brightness shifted by U(-0.15, 0.15) (Poisson cloning removes the shift by construction: only gradients
 * survive); otherwise it keeps its intensities.
 * {@link Blending#MIXED} draws the blending per patch: Poisson (1/2), feathered (1/4) or a hard cut-paste
 * (1/4), so that the network cannot learn blending artefacts or off-palette intensities (on binarised or
 * few-level images, every Poisson-blended patch has grey values no real defect has) as the sign of an
 * anomaly. The changed region is the pasted rectangle.
 *
 * @param minSize smallest patch side as a fraction of the image's shorter side, in (0, 1)
 * @param maxSize largest patch side as a fraction of the image's shorter side, in [minSize, 1)
 * @param blending how the patch is blended in
 * @param poissonIterations most conjugate-gradient iterations of Poisson cloning
 * @param recolourProbability probability in [0, 1] that a patch's contrast and brightness are changed
 */
public record PatchTransplant(double minSize, double maxSize, Blending blending, int poissonIterations,
        double recolourProbability) implements AnomalyGenerator {

    /** How a pasted patch meets its surroundings. */
    public enum Blending {
        /** Poisson (seamless) cloning: the patch's gradients, the target's boundary values. */
        POISSON,
        /** Alpha blending with a linear ramp over 15 % of the patch's shorter side. */
        FEATHERED,
        /** A hard-edged copy (CutPaste): the patch's own values, unblended. */
        HARD,
        /** Per patch: Poisson with probability 1/2, feathered 1/4, hard 1/4. */
        MIXED
    }

    /** Validates the fields. */
    public PatchTransplant {
        if (!(minSize > 0) || !(maxSize >= minSize) || !(maxSize < 1)) {
            throw new IllegalArgumentException("Invalid patch size range: [" + minSize + ", " + maxSize + "]");
        }
        if (blending == null) {
            throw new IllegalArgumentException("blending is required");
        }
        if (poissonIterations < 1) {
            throw new IllegalArgumentException("Invalid Poisson iterations: " + poissonIterations);
        }
        if (!(recolourProbability >= 0) || recolourProbability > 1) {
            throw new IllegalArgumentException("Invalid recolour probability: " + recolourProbability);
        }
    }

    /** @return a transplant of 5-30 % of the side, Poisson-blended (300 iterations), always recoloured */
    public static PatchTransplant defaults() {
        return new PatchTransplant(0.05, 0.3, Blending.POISSON, 300, 1.0);
    }

    @Override
    public Change apply(ImageData target, ImageData source, Random random) {
        int h = target.height();
        int w = target.width();
        int ch = target.channels();
        ImageData src = source.withChannels(ch);
        double side = Math.min(h, w) * Shapes.uniform(random, minSize, maxSize);
        double aspect = Math.exp(Shapes.uniform(random, Math.log(0.5), Math.log(2)));
        int ph = clamp((int) Math.round(side / Math.sqrt(aspect)), 3, h - 2);
        int pw = clamp((int) Math.round(side * Math.sqrt(aspect)), 3, w - 2);
        if (src.height() < ph || src.width() < pw) {
            src = target;
        }
        int sy = random.nextInt(src.height() - ph + 1);
        int sx = random.nextInt(src.width() - pw + 1);
        int ty = 1 + random.nextInt(h - ph - 1);
        int tx = 1 + random.nextInt(w - pw - 1);
        boolean flipX = random.nextBoolean();
        boolean flipY = random.nextBoolean();
        boolean recolour = random.nextDouble() < recolourProbability;
        double contrast = recolour ? Shapes.uniform(random, 0.7, 1.4) : 1;
        double brightness = recolour ? Shapes.uniform(random, -0.15, 0.15) : 0;
        Blending mode = blending;
        if (mode == Blending.MIXED) {
            double u = random.nextDouble();
            mode = u < 0.5 ? Blending.POISSON : u < 0.75 ? Blending.FEATHERED : Blending.HARD;
        }
        double feather = mode == Blending.FEATHERED ? 0.15 * Math.min(ph, pw) : 0;
        int plane = h * w;
        float[] out = target.pixels();
        float[] in = target.pixelsView();
        float[] srcPixels = src.pixelsView();
        int srcPlane = src.height() * src.width();
        for (int c = 0; c < ch; c++) {
            float[] patch = new float[ph * pw];
            double mean = 0;
            for (int y = 0; y < ph; y++) {
                for (int x = 0; x < pw; x++) {
                    int yy = sy + (flipY ? ph - 1 - y : y);
                    int xx = sx + (flipX ? pw - 1 - x : x);
                    patch[y * pw + x] = srcPixels[c * srcPlane + yy * src.width() + xx];
                    mean += patch[y * pw + x];
                }
            }
            mean /= patch.length;
            for (int i = 0; i < patch.length; i++) {
                patch[i] = (float) (mean + (patch[i] - mean) * contrast + brightness);
            }
            float[] targetPlane = java.util.Arrays.copyOfRange(in, c * plane, (c + 1) * plane);
            float[] blended;
            if (mode == Blending.POISSON) {
                float[] guide = targetPlane.clone();
                boolean[] region = new boolean[plane];
                for (int y = 0; y < ph; y++) {
                    for (int x = 0; x < pw; x++) {
                        int p = (ty + y) * w + tx + x;
                        guide[p] = patch[y * pw + x];
                        region[p] = y > 0 && x > 0 && y < ph - 1 && x < pw - 1;
                    }
                }
                blended = PoissonBlending.blend(targetPlane, guide, region, h, w, poissonIterations, 1e-4);
            } else {
                float[] alpha = Shapes.featheredRectangle(h, w, ty, tx, ph, pw, feather);
                blended = targetPlane.clone();
                for (int y = 0; y < ph; y++) {
                    for (int x = 0; x < pw; x++) {
                        int p = (ty + y) * w + tx + x;
                        blended[p] = alpha[p] * patch[y * pw + x] + (1 - alpha[p]) * targetPlane[p];
                    }
                }
            }
            for (int i = 0; i < plane; i++) {
                out[c * plane + i] = Math.max(0f, Math.min(1f, blended[i]));
            }
        }
        float[] region = Shapes.featheredRectangle(h, w, ty, tx, ph, pw, feather);
        return new Change(out, region);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(Math.max(lo, hi), v));
    }
}
