package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Makes self-supervised training samples from normal images only, with no outside data and no knowledge of the
 * product: with probability {@code cleanProbability} the image is returned unchanged with an empty mask;
 * otherwise one {@link AnomalyGenerator}, drawn by weight, changes it, and the changed region becomes a soft
 * label that follows how visible the change is:
 *
 * <pre>
 *   d(p)       = mean over channels of |changed(p) - original(p)|
 *   visibility = clamp( sum_p r(p) d(p) / sum_p r(p) / labelScale, 0, 1 )
 *   label(p)   = r(p) * visibility
 * </pre>
 *
 * where {@code r} is the generator's region in [0, 1]. A transplant that happens to look like what it
 * replaced, or a blob of the surface's own colour, thus gets a low label instead of teaching the network
 * to flag normal-looking pixels. With the default {@code labelScale} of 0.1, a mean change of a tenth of
 * the intensity range or more is a full label.
 *
 * <p>Deterministic: the same {@link Random} state and images give the same sample. Immutable and
 * thread-safe (each call uses only its arguments).
 *
 * <p>{@link #nsaDefaults(double, double)} is the mix used by the {@code nsa} detector; other methods add
 * their own generators (Perlin-masked textures, say) with {@link Builder#add}.
 */
public final class AnomalySynthesizer {
    private final List<String> names;
    private final List<AnomalyGenerator> generators;
    private final double[] cumulative;
    private final double cleanProbability;
    private final double labelScale;

    private AnomalySynthesizer(Builder b) {
        this.names = List.copyOf(b.generators.keySet());
        this.generators = new ArrayList<>();
        this.cumulative = new double[names.size()];
        double total = 0;
        int i = 0;
        for (Map.Entry<String, Weighted> e : b.generators.entrySet()) {
            generators.add(e.getValue().generator());
            total += e.getValue().weight();
            cumulative[i++] = total;
        }
        for (int k = 0; k < cumulative.length; k++) {
            cumulative[k] /= total;
        }
        this.cleanProbability = b.cleanProbability;
        this.labelScale = b.labelScale;
    }

    private record Weighted(AnomalyGenerator generator, double weight) { }

    /** @return an empty builder: clean probability 0.5, label scale 0.1, no generators */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The NSA mix: Poisson-blended patch transplants (weight 3), blobs, lines, scratch clusters, notches
     * (weight 1 each) and smooth regions (weight 0.5); half the samples clean.
     *
     * @param minSize smallest transplant side as a fraction of the image's shorter side
     * @param maxSize largest transplant side as a fraction of the image's shorter side
     */
    public static AnomalySynthesizer nsaDefaults(double minSize, double maxSize) {
        return nsa(minSize, maxSize, PatchTransplant.Blending.POISSON, 0);
    }

    /**
     * The NSA mix with a choice of transplant blending and of the share of procedural defects painted with the
     * image's own extremes. With {@link PatchTransplant.Blending#MIXED}, half of the transplants keep their
     * intensities (as a hard cut-paste keeps a binarised image binary); otherwise all are recoloured.
     */
    public static AnomalySynthesizer nsa(double minSize, double maxSize, PatchTransplant.Blending blending,
            double ownPalette) {
        double recolour = blending == PatchTransplant.Blending.MIXED ? 0.5 : 1.0;
        return builder()
                .add("transplant", new PatchTransplant(minSize, maxSize, blending, 300, recolour), 3)
                .add("blob", ProceduralDefects.blob(ownPalette), 1)
                .add("line", ProceduralDefects.line(ownPalette), 1)
                .add("scratches", ProceduralDefects.scratches(ownPalette), 1)
                .add("notch", ProceduralDefects.notch(), 1)
                .add("region", ProceduralDefects.region(), 0.5)
                .build();
    }

    /** @return the generators' names in the order added */
    public List<String> generatorNames() {
        return names;
    }

    /**
     * Makes one sample.
     *
     * @param target a normal image
     * @param source another normal image to copy content from (may be the target)
     * @param random the generator to draw from
     * @return the sample: clean with probability {@code cleanProbability}
     */
    public SyntheticAnomaly synthesize(ImageData target, ImageData source, Random random) {
        int plane = target.height() * target.width();
        if (random.nextDouble() < cleanProbability) {
            return new SyntheticAnomaly(target, new float[plane], SyntheticAnomaly.CLEAN, 0);
        }
        return synthesizeAnomaly(target, source, random);
    }

    /**
     * Makes one sample with a generator drawn by weight, skipping the clean draw (for validation sets with a
     * fixed share of anomalies). The result is clean only if the generator changed nothing.
     */
    public SyntheticAnomaly synthesizeAnomaly(ImageData target, ImageData source, Random random) {
        double u = random.nextDouble();
        int k = 0;
        while (k < cumulative.length - 1 && u >= cumulative[k]) {
            k++;
        }
        return synthesize(names.get(k), target, source, random);
    }

    /**
     * Makes one anomalous sample with a named generator (never clean unless the change is empty).
     *
     * @param generator a name from {@link #generatorNames()}
     */
    public SyntheticAnomaly synthesize(String generator, ImageData target, ImageData source, Random random) {
        int k = names.indexOf(generator);
        if (k < 0) {
            throw new IllegalArgumentException("Unknown generator '" + generator + "'; known: " + names);
        }
        AnomalyGenerator.Change change = generators.get(k).apply(target, source, random);
        int plane = target.height() * target.width();
        if (change.pixels().length != target.pixelsView().length || change.region().length != plane) {
            throw new IllegalStateException("Generator '" + generator + "' returned arrays of the wrong size");
        }
        float[] in = target.pixelsView();
        float[] out = change.pixels();
        float[] region = change.region();
        int channels = target.channels();
        double weighted = 0;
        double weight = 0;
        for (int i = 0; i < plane; i++) {
            if (region[i] <= 0) {
                continue;
            }
            double d = 0;
            for (int c = 0; c < channels; c++) {
                d += Math.abs(out[c * plane + i] - in[c * plane + i]);
            }
            weighted += region[i] * d / channels;
            weight += region[i];
        }
        if (weight == 0) {
            return new SyntheticAnomaly(target, new float[plane], SyntheticAnomaly.CLEAN, 0);
        }
        float visibility = (float) Math.min(1, Math.max(0, weighted / weight / labelScale));
        float[] mask = new float[plane];
        for (int i = 0; i < plane; i++) {
            mask[i] = Math.max(0, Math.min(1, region[i])) * visibility;
        }
        ImageData image = new ImageData(channels, target.height(), target.width(), out, target.source() + "+" + generator);
        return new SyntheticAnomaly(image, mask, generator, visibility);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "AnomalySynthesizer%s(clean %.2f, label scale %.3f)", names,
                cleanProbability, labelScale);
    }

    /** Collects generators and settings. */
    public static final class Builder {
        private final Map<String, Weighted> generators = new LinkedHashMap<>();
        private double cleanProbability = 0.5;
        private double labelScale = 0.1;

        private Builder() {}

        /**
         * Adds a generator.
         *
         * @param name a unique name (reported as the sample's kind)
         * @param generator the generator
         * @param weight relative probability of being chosen, positive
         */
        public Builder add(String name, AnomalyGenerator generator, double weight) {
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("Invalid weight for generator '" + name + "': " + weight);
            }
            if (name.equals(SyntheticAnomaly.CLEAN) || generators.containsKey(name)) {
                throw new IllegalArgumentException("Generator name already used or reserved: " + name);
            }
            generators.put(name, new Weighted(generator, weight));
            return this;
        }

        /** @param p probability in [0, 1) that a sample is left clean (default 0.5) */
        public Builder cleanProbability(double p) {
            if (!(p >= 0) || p >= 1) {
                throw new IllegalArgumentException("Invalid clean probability: " + p + " (in [0, 1))");
            }
            cleanProbability = p;
            return this;
        }

        /** @param scale mean absolute change that gives a full label (default 0.1) */
        public Builder labelScale(double scale) {
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException("Invalid label scale: " + scale);
            }
            labelScale = scale;
            return this;
        }

        /** @return the synthesizer */
        public AnomalySynthesizer build() {
            if (generators.isEmpty()) {
                throw new IllegalStateException("No generators: add at least one");
            }
            return new AnomalySynthesizer(this);
        }
    }
}
