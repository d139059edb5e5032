package dev.anomalysdk.memorybank.cnndictionary;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.Backbones;
import java.util.Arrays;
import java.util.List;

/**
 * The CNN dictionary's options, validated. Defaults follow the paper (ResNet-18 features, dictionary sizes
 * 10 to 1000 tried, nearest-entry distance) where it is specific; square 224 px input, map smoothing sigma 4.
 *
 * @param backbone backbone location or built-in name, with the seed given to a built-in one
 * @param layers layers whose features describe a sub-region, the first one setting the grid
 * @param imageSize side of the square network input
 * @param patchSize odd side of the averaged neighbourhood, in feature-map cells
 * @param l1Normalize whether descriptors are L1-normalized
 * @param pcaVariance variance share kept by PCA, 0 = no PCA
 * @param dictionarySize k of k-means
 * @param kmeansIterations most Lloyd iterations
 * @param neighbors dictionary entries averaged into a score
 * @param maxFitPatches most training descriptors given to k-means
 * @param seed random seed
 * @param device where the backbone runs
 */
record CnnDictionaryOptions(String backbone, List<String> layers, int imageSize, int patchSize, boolean l1Normalize,
        double pcaVariance, int dictionarySize, int kmeansIterations, int neighbors, int maxFitPatches, long seed,
        String device) {
    /** Smallest input side: the deepest default layer (stride 16) still has a 2 x 2 grid. */
    static final int MIN_IMAGE_SIZE = 32;

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("resnet18");
    static final Param<String> LAYERS = SharedParams.LAYERS.withDefault("layer2,layer3");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(224);
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

    static final List<Param<?>> PARAMS = List.of(BACKBONE, LAYERS, IMAGE_SIZE, PATCH_SIZE, L1_NORMALIZE, PCA_VARIANCE,
            DICTIONARY_SIZE, KMEANS_ITERATIONS, NEIGHBORS, MAX_FIT_PATCHES, SharedParams.MAP_SIGMA,
            SharedParams.BATCH_SIZE, SharedParams.SEED, SharedParams.DEVICE);

    /** Validates what the keys' own rules cannot. */
    CnnDictionaryOptions {
        layers = List.copyOf(layers);
        if (imageSize < MIN_IMAGE_SIZE) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize + " (must be at least "
                    + MIN_IMAGE_SIZE + ")");
        }
        if (patchSize % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'patch_size': " + patchSize + " (must be odd)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static CnnDictionaryOptions of(Config c) {
        long seed = c.get(SharedParams.SEED);
        return new CnnDictionaryOptions(Backbones.seeded(c.get(BACKBONE), seed),
                Arrays.asList(c.get(LAYERS).split(",")), c.get(IMAGE_SIZE), c.get(PATCH_SIZE), c.get(L1_NORMALIZE),
                c.get(PCA_VARIANCE), c.get(DICTIONARY_SIZE), c.get(KMEANS_ITERATIONS), c.get(NEIGHBORS),
                c.get(MAX_FIT_PATCHES), seed, c.get(SharedParams.DEVICE));
    }
}
