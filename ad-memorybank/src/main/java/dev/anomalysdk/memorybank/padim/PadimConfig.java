package dev.anomalysdk.memorybank.padim;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.features.Backbones;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link PadimDetector}, with typed access. Defaults follow the method card
 * (anomalib's PaDiM, the paper's layers 1-3 and random channel subset): ResNet-18 with 100 random
 * channels (Wide-ResNet-50-2: 550), covariance ridge 0.01, Gaussian sigma 4, resize 256 and center crop 224.
 */
final class PadimConfig {
    static final double BLUR_SIGMA = 4.0;
    static final double COVARIANCE_RIDGE = 0.01;
    /** Random channel subset sizes by architecture (method card: R18 100, WR50 550). */
    static final int RESNET18_DIM = 100;
    static final int WIDE_RESNET50_DIM = 550;

    static final Param<String> BACKBONE = Param.ofString("backbone", "resnet18", s -> !s.isBlank(),
            "a TorchScript file or URL, or resnet18 / wide_resnet50_2 (random weights)",
            "Feature extractor: an exported pretrained TorchScript backbone with layer1, layer2, layer3 "
                    + "(tools/export_backbone.py), or a built-in architecture with random weights (offline fallback, "
                    + "weak on real images)");
    static final Param<String> LAYERS = Param.ofString("layers", "layer1,layer2,layer3",
            s -> s.matches("[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*"), "comma-separated layer names, shallow to deep",
            "Backbone layers concatenated into a position's embedding; deeper ones are upsampled (nearest) to "
                    + "the first's grid");
    static final Param<Integer> FEATURE_DIM = Param.ofInt("feature_dim", 0, 0, 100_000,
            "Random channel subset kept from the concatenated layers; 0 = by backbone (resnet18: 100, "
                    + "wide_resnet50_2 and resnet50: 550, others: 100 or all channels if fewer)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, 32, 4096,
            "Resize: shorter image side in pixels before the center crop (square resize when crop_size = 0)");
    static final Param<Integer> CROP_SIZE = Param.ofInt("crop_size", 224, 0, 4096,
            "Side of the center crop seen by the network (0 = no crop, square resize to image_size)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per backbone forward pass");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (channel subset, calibration hold-out, random backbone weights)");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where the backbone runs (the Gaussians stay on the CPU)");

    static final List<Param<?>> ALL = List.of(BACKBONE, LAYERS, FEATURE_DIM, IMAGE_SIZE, CROP_SIZE, BATCH_SIZE, SEED,
            DEVICE);

    private final Config config;

    PadimConfig(Config config) {
        this.config = config;
        if (cropSize() > imageSize()) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize()
                    + " (must not exceed image_size " + imageSize() + ")");
        }
    }

    String backbone() {
        return Backbones.seeded(config.get(BACKBONE), seed());
    }

    List<String> layers() {
        return Arrays.asList(config.get(LAYERS).split(","));
    }

    int featureDim() {
        return config.get(FEATURE_DIM);
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int cropSize() {
        return config.get(CROP_SIZE);
    }

    int batchSize() {
        return config.get(BATCH_SIZE);
    }

    long seed() {
        return config.get(SEED);
    }

    String device() {
        return config.get(DEVICE);
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
        int d = featureDim();
        if (d > 0) {
            if (d > channels) {
                throw new IllegalArgumentException("Invalid value for 'feature_dim': " + d + " (the layers "
                        + layers() + " have only " + channels + " channels)");
            }
            return d;
        }
        String[] parts = identity.split(":");
        String arch = parts.length > 1 ? parts[1] : "";
        int dflt = arch.contains("wide_resnet50") || arch.equals("resnet50") ? WIDE_RESNET50_DIM : RESNET18_DIM;
        return Math.min(dflt, channels);
    }
}
