package dev.anomalysdk.memorybank.padim;

import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.Backbones;
import java.util.Arrays;
import java.util.List;

/**
 * PaDiM's options, validated. Defaults follow the method card (anomalib's PaDiM, the paper's layers 1-3 and
 * random channel subset): ResNet-18 with 100 random channels (Wide-ResNet-50-2: 550), resize 256 and center
 * crop 224, map smoothing sigma 4; the covariance ridge 0.01 is fixed by the method.
 *
 * @param backbone backbone location or built-in name, with the seed given to a built-in one
 * @param layers layers concatenated into a position's embedding, shallow to deep
 * @param featureDim random channel subset size, 0 = by architecture
 * @param imageSize resize (shorter side before the crop)
 * @param cropSize center crop side, 0 = none
 * @param seed random seed
 * @param device where the backbone runs
 */
record PadimOptions(String backbone, List<String> layers, int featureDim, int imageSize, int cropSize, long seed,
        String device) {
    static final double COVARIANCE_RIDGE = 0.01;
    /** Random channel subset sizes by architecture (method card: R18 100, WR50 550). */
    static final int RESNET18_DIM = 100;
    static final int WIDE_RESNET50_DIM = 550;

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("resnet18");
    static final Param<String> LAYERS = SharedParams.LAYERS.withDefault("layer1,layer2,layer3");
    static final Param<Integer> FEATURE_DIM = Param.ofInt("feature_dim", 0, 0, 100_000,
            "Random channel subset kept from the concatenated layers; 0 = by backbone (resnet18: 100, "
                    + "wide_resnet50_2 and resnet50: 550, others: 100 or all channels if fewer)");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
    static final Param<Integer> CROP_SIZE = SharedParams.CROP_SIZE.withDefault(224);

    static final List<Param<?>> PARAMS = List.of(BACKBONE, LAYERS, FEATURE_DIM, IMAGE_SIZE, CROP_SIZE,
            SharedParams.MAP_SIGMA, SharedParams.BATCH_SIZE, SharedParams.SEED, SharedParams.DEVICE);

    /** Validates what the keys' own rules cannot. */
    PadimOptions {
        layers = List.copyOf(layers);
        Preprocessing.checkSizes(imageSize, cropSize);
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static PadimOptions of(Config c) {
        long seed = c.get(SharedParams.SEED);
        return new PadimOptions(Backbones.seeded(c.get(BACKBONE), seed), Arrays.asList(c.get(LAYERS).split(",")),
                c.get(FEATURE_DIM), c.get(IMAGE_SIZE), c.get(CROP_SIZE), seed, c.get(SharedParams.DEVICE));
    }

    /**
     * The channel subset size: the configured one, or the card's default for the backbone's architecture.
     *
     * @param identity the backbone identity, e.g. {@code resnet:resnet18:width=16:...} or
     *     {@code torchscript:wide_resnet50_2:sha256=...}
     * @param channels channels of the concatenated layers
     * @throws IllegalArgumentException when the configured size exceeds the channels
     */
    int featureDim(String identity, int channels) {
        if (featureDim > 0) {
            if (featureDim > channels) {
                throw new IllegalArgumentException("Invalid value for 'feature_dim': " + featureDim + " (the layers "
                        + layers + " have only " + channels + " channels)");
            }
            return featureDim;
        }
        String[] parts = identity.split(":");
        String arch = parts.length > 1 ? parts[1] : "";
        int dflt = arch.contains("wide_resnet50") || arch.equals("resnet50") ? WIDE_RESNET50_DIM : RESNET18_DIM;
        return Math.min(dflt, channels);
    }
}
