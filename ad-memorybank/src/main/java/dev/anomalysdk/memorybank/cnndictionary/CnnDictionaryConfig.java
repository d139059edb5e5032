package dev.anomalysdk.memorybank.cnndictionary;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.features.Backbones;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link CnnDictionaryDetector}, with typed access. Defaults follow the paper
 * (ResNet-18 features, dictionary sizes 10 to 1000 tried, nearest-entry distance) where it is specific.
 */
final class CnnDictionaryConfig {
    static final double BLUR_SIGMA = 4.0;

    static final Param<String> BACKBONE = Param.ofString("backbone", "resnet18", s -> !s.isBlank(),
            "a TorchScript file or URL, or resnet18 / wide_resnet50_2 (random weights)",
            "Feature extractor: an exported pretrained TorchScript backbone (tools/export_backbone.py), or a "
                    + "built-in architecture with random weights (offline fallback, weak on real images)");
    static final Param<String> LAYERS = Param.ofString("layers", "layer2,layer3",
            s -> s.matches("[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*"), "comma-separated layer names",
            "Backbone layers whose features describe a sub-region; deeper ones are upsampled to the first's grid");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 224, 32, 4096,
            "Side of the square network input in pixels");
    static final Param<Integer> PATCH_SIZE = Param.ofInt("patch_size", 3, 1, 15,
            "Odd side of the neighbourhood averaged into one sub-region descriptor, in feature-map cells");
    static final Param<Boolean> L1_NORMALIZE = Param.ofBoolean("l1_normalize", true,
            "L1-normalize each descriptor, as the paper does");
    static final Param<Double> PCA_VARIANCE = Param.ofDouble("pca_variance", 0.0, 0.0, 1.0,
            "Keep PCA components explaining this share of variance (the paper uses 0.95); 0 disables PCA");
    static final Param<Integer> DICTIONARY_SIZE = Param.ofInt("dictionary_size", 100, 1, 100_000,
            "k of k-means: number of normal sub-regions in the dictionary (the paper tries 10 to 1000)");
    static final Param<Integer> KMEANS_ITERATIONS = Param.ofInt("kmeans_iterations", 30, 1, 1000,
            "Most Lloyd iterations of k-means");
    static final Param<Integer> NEIGHBORS = Param.ofInt("neighbors", 1, 1, 1000,
            "Score = mean Euclidean distance to this many nearest dictionary entries");
    static final Param<Integer> MAX_FIT_PATCHES = Param.ofInt("max_fit_patches", 200_000, 1000, 50_000_000,
            "Random subsample of training descriptors given to k-means (bounds fit memory and time)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per backbone forward pass");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (k-means++ seeding, subsampling, calibration hold-out, random backbone weights)");
    static final Param<String> DEVICE = Param.ofString("device", "cpu", s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"),
            "cpu, auto, cuda or cuda:N", "Where the backbone runs");

    static final List<Param<?>> ALL = List.of(BACKBONE, LAYERS, IMAGE_SIZE, PATCH_SIZE, L1_NORMALIZE, PCA_VARIANCE,
            DICTIONARY_SIZE, KMEANS_ITERATIONS, NEIGHBORS, MAX_FIT_PATCHES, BATCH_SIZE, SEED, DEVICE);

    private final Config config;

    CnnDictionaryConfig(Config config) {
        this.config = config;
        if (patchSize() % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'patch_size': " + patchSize() + " (must be odd)");
        }
    }

    String backbone() {
        return Backbones.seeded(config.get(BACKBONE), seed());
    }

    List<String> layers() {
        return Arrays.asList(config.get(LAYERS).split(","));
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int patchSize() {
        return config.get(PATCH_SIZE);
    }

    boolean l1Normalize() {
        return config.get(L1_NORMALIZE);
    }

    double pcaVariance() {
        return config.get(PCA_VARIANCE);
    }

    int dictionarySize() {
        return config.get(DICTIONARY_SIZE);
    }

    int kmeansIterations() {
        return config.get(KMEANS_ITERATIONS);
    }

    int neighbors() {
        return config.get(NEIGHBORS);
    }

    int maxFitPatches() {
        return config.get(MAX_FIT_PATCHES);
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
}
