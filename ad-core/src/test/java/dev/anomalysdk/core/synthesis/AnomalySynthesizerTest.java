package dev.anomalysdk.core.synthesis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnomalySynthesizerTest {
    static final int SIZE = 64;

    /** A woven-looking texture: two sinusoids plus seeded noise, values in [0.1, 0.9]. */
    static ImageData texture(int channels, long seed) {
        Random r = new Random(seed);
        int plane = SIZE * SIZE;
        float[] p = new float[channels * plane];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    double v = 0.5 + 0.2 * Math.sin(x * 0.7 + c) * Math.cos(y * 0.5) + 0.1 * (r.nextDouble() - 0.5);
                    p[c * plane + y * SIZE + x] = (float) Math.max(0.1, Math.min(0.9, v));
                }
            }
        }
        return new ImageData(channels, SIZE, SIZE, p, "texture" + seed);
    }

    static ImageData constant(float v) {
        float[] p = new float[SIZE * SIZE];
        Arrays.fill(p, v);
        return new ImageData(1, SIZE, SIZE, p, "constant");
    }

    @Test
    void theSameSeedGivesTheSameSamples() {
        AnomalySynthesizer s = AnomalySynthesizer.nsaDefaults(0.05, 0.3);
        ImageData a = texture(3, 1);
        ImageData b = texture(3, 2);
        Random r1 = new Random(42);
        Random r2 = new Random(42);
        Random r3 = new Random(43);
        boolean anyDifferent = false;
        for (int i = 0; i < 30; i++) {
            SyntheticAnomaly x = s.synthesize(a, b, r1);
            SyntheticAnomaly y = s.synthesize(a, b, r2);
            SyntheticAnomaly z = s.synthesize(a, b, r3);
            assertEquals(x.kind(), y.kind());
            assertArrayEquals(x.image().pixelsView(), y.image().pixelsView());
            assertArrayEquals(x.mask(), y.mask());
            anyDifferent |= !Arrays.equals(x.mask(), z.mask());
        }
        assertTrue(anyDifferent, "another seed gives other samples");
    }

    @Test
    void halfTheSamplesAreCleanAndEveryKindOccursWithBoundedCoverage() {
        AnomalySynthesizer s = AnomalySynthesizer.nsaDefaults(0.05, 0.3);
        Random r = new Random(3);
        int clean = 0;
        int n = 400;
        java.util.Set<String> kinds = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            SyntheticAnomaly x = s.synthesize(texture(1, i), texture(1, i + 1000), r);
            for (float v : x.mask()) {
                assertTrue(v >= 0 && v <= 1, "label in [0, 1]: " + v);
            }
            for (float v : x.image().pixelsView()) {
                assertTrue(v >= 0 && v <= 1, "pixel in [0, 1]: " + v);
            }
            if (x.isClean()) {
                clean++;
                assertEquals(0f, x.maxLabel());
                assertArrayEquals(texture(1, i).pixelsView(), x.image().pixelsView());
            } else {
                kinds.add(x.kind());
                // Nothing covers more than the largest region (ellipse radii 35 % of the side: ~40 %).
                assertTrue(x.coverage() > 0 && x.coverage() < 0.5, x.kind() + " covers " + x.coverage());
            }
        }
        // Binomial(400, 0.5): standard deviation 10; allow 4 of them.
        assertTrue(Math.abs(clean - n / 2) <= 40, clean + " clean of " + n);
        assertEquals(s.generatorNames().size(), kinds.size(), "kinds seen: " + kinds);
    }

    @Test
    void transplantSidesStayWithinFiveToThirtyPercent() {
        AnomalySynthesizer s = AnomalySynthesizer.nsaDefaults(0.05, 0.3);
        Random r = new Random(9);
        double smallest = 1;
        double largest = 0;
        for (int i = 0; i < 200; i++) {
            SyntheticAnomaly x = s.synthesize("transplant", texture(1, 5), texture(1, 6), r);
            double area = x.coverage();
            smallest = Math.min(smallest, area);
            largest = Math.max(largest, area);
            // Sides s/sqrt(a), s*sqrt(a) with s <= 0.3 * 64 = 19.2 px: area <= s^2 (+ rounding).
            assertTrue(area <= (19.2 + 1) * (19.2 + 1) / (SIZE * SIZE), "area " + area);
        }
        // 5 % of 64 px = 3.2 px: the smallest patches are a few pixels on a side.
        assertTrue(smallest < 0.01, "small patches occur: " + smallest);
        assertTrue(largest > 0.05, "large patches occur: " + largest);
    }

    @Test
    void invisibleChangesGetLowLabelsAndVisibleOnesFullLabels() {
        AnomalySynthesizer s = AnomalySynthesizer.nsaDefaults(0.1, 0.3);
        Random r = new Random(11);
        AnomalySynthesizer poisson = AnomalySynthesizer.builder()
                .add("transplant", new PatchTransplant(0.1, 0.3, PatchTransplant.Blending.POISSON, 300, 1.0), 1).build();
        for (int i = 0; i < 20; i++) {
            // Uniform grey onto uniform grey: Poisson cloning keeps only the (zero) gradients: nothing visible,
            // whatever contrast or brightness change was drawn.
            SyntheticAnomaly same = poisson.synthesize("transplant", constant(0.5f), constant(0.5f), r);
            assertTrue(same.visibility() < 0.01, "invisible transplant labelled " + same.visibility());
            assertTrue(same.maxLabel() < 0.01);
            // Strong texture onto uniform grey: clearly visible.
            SyntheticAnomaly seen = s.synthesize("transplant", constant(0.5f), noise(i), r);
            assertTrue(seen.visibility() > 0.9, "visible transplant labelled " + seen.visibility());
        }
        // Blobs are dark or bright at random: on a near-black surface the dark ones are faint (low labels);
        // on a mid-grey surface every blob is plainly visible.
        int faintOnDark = 0;
        int faintOnGrey = 0;
        for (int i = 0; i < 60; i++) {
            if (s.synthesize("blob", constant(0.05f), constant(0.05f), new Random(i)).visibility() < 0.5) {
                faintOnDark++;
            }
            if (s.synthesize("blob", constant(0.5f), constant(0.5f), new Random(i)).visibility() < 0.5) {
                faintOnGrey++;
            }
        }
        assertTrue(faintOnDark >= 15, faintOnDark + " of 60 blobs faint on a dark surface");
        assertTrue(faintOnGrey <= 3, faintOnGrey + " of 60 blobs faint on grey");
        // Painted with the image's own extremes, a blob on a uniform surface changes nothing: label 0.
        AnomalySynthesizer palette = AnomalySynthesizer.nsa(0.1, 0.3, PatchTransplant.Blending.MIXED, 1.0);
        for (int i = 0; i < 10; i++) {
            assertEquals(0f, palette.synthesize("blob", constant(0.5f), constant(0.5f), new Random(i)).maxLabel());
        }
    }

    @Test
    void mixedBlendingIncludesHardCutPasteThatKeepsABinaryImageBinary() {
        AnomalySynthesizer mixed = AnomalySynthesizer.nsa(0.1, 0.3, PatchTransplant.Blending.MIXED, 1.0);
        Random r = new Random(4);
        int binary = 0;
        for (int i = 0; i < 40; i++) {
            SyntheticAnomaly x = mixed.synthesize("transplant", noise(i), noise(i + 100), r);
            boolean allBinary = true;
            for (float v : x.image().pixelsView()) {
                allBinary &= v == 0f || v == 1f;
            }
            binary += allBinary ? 1 : 0;
        }
        // Hard cut-paste (1/4) without recolouring (1/2): about 5 of 40; Poisson never stays binary.
        assertTrue(binary >= 1 && binary <= 15, binary + " of 40 transplants stayed binary");
    }

    static ImageData noise(long seed) {
        Random r = new Random(seed);
        float[] p = new float[SIZE * SIZE];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextBoolean() ? 0f : 1f;
        }
        return new ImageData(1, SIZE, SIZE, p, "noise");
    }

    @Test
    void theLabelFollowsTheDocumentedFormula() {
        AnomalySynthesizer s = AnomalySynthesizer.builder().cleanProbability(0).labelScale(0.2)
                .add("square", (target, source, random) -> {
                    float[] out = target.pixels();
                    float[] region = new float[SIZE * SIZE];
                    for (int y = 10; y < 20; y++) {
                        for (int x = 10; x < 20; x++) {
                            region[y * SIZE + x] = 1;
                            out[y * SIZE + x] += 0.05f;
                        }
                    }
                    return new AnomalyGenerator.Change(out, region);
                }, 1).build();
        SyntheticAnomaly x = s.synthesize(constant(0.5f), constant(0.5f), new Random(0));
        // Mean change 0.05 / scale 0.2 = 0.25 inside the square, 0 outside.
        assertEquals(0.25f, x.visibility(), 1e-5);
        assertEquals(0.25f, x.mask()[15 * SIZE + 15], 1e-5);
        assertEquals(0f, x.mask()[5 * SIZE + 5]);
        assertEquals(100 / (double) (SIZE * SIZE), x.coverage(), 1e-12);
        assertFalse(x.isClean());
    }
}
