package dev.anomalysdk.core.synthesis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.ImageFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerlinAnomalyTest {
    static final int SIZE = 64;

    /** A texture source of one flat colour, so the blend can be checked pixel by pixel. */
    record Flat(float r, float g, float b) implements TextureSource {
        @Override
        public ImageData texture(int height, int width, Random random) {
            float[] p = new float[3 * height * width];
            int plane = height * width;
            Arrays.fill(p, 0, plane, r);
            Arrays.fill(p, plane, 2 * plane, g);
            Arrays.fill(p, 2 * plane, 3 * plane, b);
            return new ImageData(3, height, width, p, "flat");
        }

        @Override
        public String describe() {
            return "flat";
        }
    }

    static ImageData gradientImage() {
        int plane = SIZE * SIZE;
        float[] p = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                p[c * plane + i] = 0.1f + 0.8f * ((i % SIZE) / (float) SIZE) * (c + 1) / 3f;
            }
        }
        return new ImageData(3, SIZE, SIZE, p, "gradient");
    }

    @Test
    void noiseIsZeroOnTheLatticeAndFollowsTheGradientFormulaBetween() {
        // 2x3 cells on a 16x24 image: lattice points every 8 pixels.
        float[] n = PerlinNoise.noise(16, 24, 2, 3, new Random(7));
        for (int y = 0; y < 16; y += 8) {
            for (int x = 0; x < 24; x += 8) {
                assertEquals(0f, n[y * 24 + x], 1e-6f, "lattice point " + y + "," + x);
            }
        }
        // Replay the gradient angles (row-major corners) and evaluate at pixel (3, 13): cell (0, 1), offset
        // (3/8, 5/8), with the fade written as smootherstep.
        Random r = new Random(7);
        double[][] angle = new double[3][4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                angle[i][j] = 2 * Math.PI * r.nextDouble();
            }
        }
        double fy = 3 / 8.0;
        double fx = 5 / 8.0;
        double d00 = Math.sin(angle[0][1]) * fy + Math.cos(angle[0][1]) * fx;
        double d01 = Math.sin(angle[0][2]) * fy + Math.cos(angle[0][2]) * (fx - 1);
        double d10 = Math.sin(angle[1][1]) * (fy - 1) + Math.cos(angle[1][1]) * fx;
        double d11 = Math.sin(angle[1][2]) * (fy - 1) + Math.cos(angle[1][2]) * (fx - 1);
        double sy = smootherstep(fy);
        double sx = smootherstep(fx);
        double expected = Math.sqrt(2) * ((1 - sy) * ((1 - sx) * d00 + sx * d01) + sy * ((1 - sx) * d10 + sx * d11));
        assertEquals(expected, n[3 * 24 + 13], 1e-5);
    }

    private static double smootherstep(double t) {
        return 10 * Math.pow(t, 3) - 15 * Math.pow(t, 4) + 6 * Math.pow(t, 5);
    }

    @Test
    void masksAreTheRotatedNoiseThresholdedAtOneHalf() {
        for (long seed = 0; seed < 20; seed++) {
            PerlinAnomaly.PerlinMask m = PerlinAnomaly.mask(SIZE, SIZE, new Random(seed));
            // Replay the documented draw order: two scale exponents, the noise, the angle.
            Random r = new Random(seed);
            int sy = 1 << r.nextInt(6);
            int sx = 1 << r.nextInt(6);
            float[] noise = PerlinNoise.rotate(PerlinNoise.noise(SIZE, SIZE, sy, sx, r), SIZE, SIZE,
                    (2 * r.nextDouble() - 1) * 90);
            assertEquals(sy, m.scaleY());
            assertEquals(sx, m.scaleX());
            for (int i = 0; i < noise.length; i++) {
                assertEquals(noise[i] > 0.5f ? 1f : 0f, m.values()[i], "seed " + seed + " pixel " + i);
            }
        }
    }

    @Test
    void maskScalesAnglesAndCoverageFollowDraemsDistribution() {
        int n = 600;
        int[] scaleCounts = new int[6];
        double coverageSum = 0;
        int empty = 0;
        int large = 0;
        double minAngle = 0;
        double maxAngle = 0;
        Random r = new Random(11);
        for (int i = 0; i < n; i++) {
            PerlinAnomaly.PerlinMask m = PerlinAnomaly.mask(SIZE, SIZE, r);
            scaleCounts[Integer.numberOfTrailingZeros(m.scaleY())]++;
            scaleCounts[Integer.numberOfTrailingZeros(m.scaleX())]++;
            assertTrue(Integer.bitCount(m.scaleY()) == 1 && m.scaleY() <= 32 && m.scaleX() <= 32);
            assertTrue(m.angle() > -90 && m.angle() < 90);
            minAngle = Math.min(minAngle, m.angle());
            maxAngle = Math.max(maxAngle, m.angle());
            for (float v : m.values()) {
                assertTrue(v == 0f || v == 1f, "binary mask");
            }
            double c = m.coverage();
            coverageSum += c;
            empty += c == 0 ? 1 : 0;
            large += c > 0.5 ? 1 : 0;
        }
        // Each of the six scales 1..32 is drawn with probability 1/6 per axis (2n draws).
        for (int k = 0; k < 6; k++) {
            assertEquals(2.0 * n / 6, scaleCounts[k], 45, "scale 2^" + k + ": " + Arrays.toString(scaleCounts));
        }
        assertTrue(minAngle < -80 && maxAngle > 80, minAngle + ".." + maxAngle);
        // sqrt(2)-scaled gradient noise has a standard deviation near 0.3: a few percent of the pixels exceed 0.5
        // (about 4 % here), and a coarse lattice sometimes nowhere.
        double mean = coverageSum / n;
                assertTrue(mean > 0.02 && mean < 0.15, "mean coverage " + mean);
        assertTrue(empty > 0 && empty < n / 3, "empty masks: " + empty);
        assertTrue(large < n / 20, "masks over half the image: " + large);
    }

    @Test
    void theBlendFollowsDraemsFormulaWithBetaBelowPointEight() {
        Flat flat = new Flat(0.9f, 0.2f, 0.5f);
        PerlinAnomaly anomaly = new PerlinAnomaly(flat, 0);
        ImageData image = gradientImage();
        Random r = new Random(3);
        double betaSum = 0;
        double betaMax = 0;
        int n = 300;
        for (int s = 0; s < n; s++) {
            PerlinAnomaly.Blend b = anomaly.blend(image, r);
            double beta = b.beta();
            assertTrue(beta >= 0 && beta < 0.8, "beta " + beta);
            betaSum += beta;
            betaMax = Math.max(betaMax, beta);
            float[] in = image.pixelsView();
            float[] out = b.image().pixelsView();
            float[] colour = {0.9f, 0.2f, 0.5f};
            int plane = SIZE * SIZE;
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < plane; i++) {
                    float m = b.mask().values()[i];
                    double expected = in[c * plane + i] * (1 - m) + (1 - beta) * colour[c] * m
                            + beta * in[c * plane + i] * m;
                    assertEquals(expected, out[c * plane + i], 1e-5);
                }
            }
        }
        assertEquals(0.4, betaSum / n, 0.04, "beta ~ U(0, 0.8)");
        assertTrue(betaMax > 0.75);
    }

    @Test
    void halfTheSamplesStayNormalAndEmptyMasksAreLabelledNormal() {
        DraemAugmenter aug = new DraemAugmenter(new PerlinAnomaly(new ProceduralTextures(), 3), 0.3, 0.5);
        ImageData image = gradientImage();
        Random r = new Random(5);
        int n = 800;
        int pasted = 0;
        int anomalous = 0;
        int rotated = 0;
        for (int i = 0; i < n; i++) {
            DraemAugmenter.TrainingPair p = aug.sample(image, r);
            boolean anyMask = false;
            for (float v : p.mask()) {
                anyMask |= v > 0;
            }
            assertEquals(anyMask, p.anomalous(), "label 1 exactly when the mask is not empty");
            if (Double.isNaN(p.beta())) {
                assertFalse(anyMask);
                assertArrayEquals(p.normal().pixelsView(), p.augmented().pixelsView(), "a normal sample is unchanged");
            } else {
                pasted++;
            }
            anomalous += p.anomalous() ? 1 : 0;
            if (p.rotation() != 0) {
                rotated++;
                assertTrue(Math.abs(p.rotation()) < 90);
                assertFalse(Arrays.equals(image.pixelsView(), p.normal().pixelsView()));
            } else {
                assertArrayEquals(image.pixelsView(), p.normal().pixelsView());
            }
        }
        assertEquals(0.5, pasted / (double) n, 0.05, "half the samples get an anomaly");
        assertTrue(anomalous < pasted && anomalous > 0.35 * n, "some pasted masks are empty: " + anomalous + "/" + pasted);
        assertEquals(0.3, rotated / (double) n, 0.05, "normal image rotated with p 0.3");
        DraemAugmenter noRotation = new DraemAugmenter(new PerlinAnomaly(new ProceduralTextures(), 3), 0, 0.5);
        for (int i = 0; i < 50; i++) {
            assertEquals(0.0, noRotation.sample(image, r).rotation());
        }
    }

    @Test
    void theSameSeedGivesIdenticalSamplesFromFoldersAndProceduralTextures(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("dtd/images");
        Files.createDirectories(folder.resolve("banded"));
        Files.createDirectories(folder.resolve("dotted"));
        ProceduralTextures proc = new ProceduralTextures();
        Random r = new Random(1);
        for (int i = 0; i < 3; i++) {
            ImageFiles.writePng(proc.texture(48, 40, r), folder.resolve((i % 2 == 0 ? "banded" : "dotted") + "/t" + i + ".png"));
        }
        Files.writeString(folder.resolve("README.txt"), "not an image");
        FolderTextures textures = FolderTextures.of(tmp.resolve("dtd"));
        assertEquals(3, textures.files().size());
        for (TextureSource source : new TextureSource[] {textures, proc}) {
            DraemAugmenter aug = DraemAugmenter.draem(source);
            ImageData image = gradientImage();
            Random a = new Random(9);
            Random b = new Random(9);
            Random c = new Random(10);
            boolean differs = false;
            for (int i = 0; i < 20; i++) {
                DraemAugmenter.TrainingPair x = aug.sample(image, a);
                DraemAugmenter.TrainingPair y = aug.sample(image, b);
                DraemAugmenter.TrainingPair z = aug.sample(image, c);
                assertArrayEquals(x.augmented().pixelsView(), y.augmented().pixelsView());
                assertArrayEquals(x.mask(), y.mask());
                differs |= !Arrays.equals(x.augmented().pixelsView(), z.augmented().pixelsView());
            }
            assertTrue(differs, "another seed gives other samples");
        }
    }

    @Test
    void perlinTexturesJoinAnAnomalySynthesizerMix() {
        AnomalySynthesizer mix = AnomalySynthesizer.builder().cleanProbability(0)
                .add("perlin", new PerlinAnomaly(new Flat(1f, 0f, 0f), 0), 1).build();
        ImageData image = gradientImage();
        Random r = new Random(12);
        int withDefect = 0;
        for (int i = 0; i < 40; i++) {
            SyntheticAnomaly s = mix.synthesize(image, image, r);
            int plane = SIZE * SIZE;
            for (int p = 0; p < plane; p++) {
                boolean changed = s.image().pixelsView()[p] != image.pixelsView()[p];
                // Changed pixels lie inside the (visibility-scaled) label, unchanged ones outside it.
                assertEquals(changed, s.mask()[p] > 0, "pixel " + p);
            }
            withDefect += s.isClean() ? 0 : 1;
        }
        assertTrue(withDefect > 30, "most Perlin masks are not empty: " + withDefect);
    }

    @Test
    void aFolderWithoutImagesIsAnErrorNamingIt(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "x");
        IOException e = assertThrows(IOException.class, () -> FolderTextures.of(tmp));
        assertTrue(e.getMessage().contains(tmp.toAbsolutePath().toString()) && e.getMessage().contains("no images"),
                e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> FolderTextures.of(tmp.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
    }

    @Test
    void proceduralTexturesOfEveryKindVaryAndStayInRange() {
        ProceduralTextures proc = new ProceduralTextures();
        Random r = new Random(2);
        for (ProceduralTextures.Kind kind : ProceduralTextures.Kind.values()) {
            for (int k = 0; k < 5; k++) {
                float[] p = proc.texture(kind, 40, 56, r).pixelsView();
                float min = 1;
                float max = 0;
                for (float v : p) {
                    assertTrue(v >= 0 && v <= 1, kind + " value " + v);
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                assertTrue(max - min > 0.01 || k > 0, kind + " is not flat");
            }
        }
    }

    @Test
    void augmentationsKeepRangeAndDoWhatTheySay() {
        ProceduralTextures proc = new ProceduralTextures();
        ImageData t = proc.texture(ProceduralTextures.Kind.NOISE_FIELD, 32, 32, new Random(4));
        Random r = new Random(8);
        for (TextureAugmentation a : TextureAugmentation.values()) {
            for (float v : a.apply(t, r).pixelsView()) {
                assertTrue(v >= 0 && v <= 1, a + " value " + v);
            }
        }
        float[] inv = TextureAugmentation.INVERT.apply(t, r).pixelsView();
        for (int i = 0; i < inv.length; i++) {
            assertEquals(1 - t.pixelsView()[i], inv[i], 1e-6f);
        }
        // Equalization spreads values over the whole range: about a quarter of the pixels below 0.25.
        float[] eq = TextureAugmentation.EQUALIZE.apply(t, r).pixelsView();
        int low = 0;
        for (int i = 0; i < 32 * 32; i++) {
            low += eq[i] < 0.25f ? 1 : 0;
        }
        assertEquals(0.25, low / 1024.0, 0.08);
        ImageData a = TextureAugmentation.augment(t, 3, new Random(1));
        ImageData b = TextureAugmentation.augment(t, 3, new Random(1));
        assertArrayEquals(a.pixelsView(), b.pixelsView());
        assertThrows(IllegalArgumentException.class, () -> TextureAugmentation.augment(t, 11, new Random(1)));
    }
}
