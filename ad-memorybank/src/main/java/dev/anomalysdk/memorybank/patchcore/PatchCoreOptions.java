package dev.anomalysdk.memorybank.patchcore;

import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.memorybank.components.PatchMatrix;
import java.util.Arrays;
import java.util.List;

/**
 * PatchCore's options, validated. Every default is the official implementation's (patchcore-inspection,
 * {@code sample_training.sh} for WideResNet-50 at 224 px; see {@code shared/method-cards.md}, PatchCore):
 * layers 2 and 3, 3x3 neighbourhoods, 1024-dimensional features, 10 % approximate greedy coreset projected to
 * 128 dimensions from 10 starting points, 1-NN squared distance, image score = max, map smoothing sigma 4,
 * resize 256 then center crop 224.
 *
 * @param backbone backbone location or built-in name, with the seed given to a built-in one
 * @param layers backbone layers, the first one setting the patch grid
 * @param imageSize resize (shorter side before the crop)
 * @param cropSize center crop side, 0 = none
 * @param patchSize odd side of the aggregated neighbourhood
 * @param pretrainEmbedDimension per-layer pooled dimension
 * @param targetEmbedDimension patch feature dimension
 * @param coresetFraction share of training patches kept in the bank
 * @param coresetProjectionDim random projection dimension of the coreset selection
 * @param coresetStartingPoints random patches initializing the coreset distances
 * @param imageScore how the image score is derived from the patch scores
 * @param reweightNeighbors bank neighbours of the re-weighting
 * @param bankPrecision storage of the memory bank
 * @param featureStorage where training features wait for coreset selection
 * @param kernels coreset and k-NN backend: auto, nd4j or djl
 * @param threads worker threads of the coreset loop, 0 = one per core
 * @param seed random seed
 * @param device where the backbone (and the djl kernels) run
 */
record PatchCoreOptions(String backbone, List<String> layers, int imageSize, int cropSize, int patchSize,
        int pretrainEmbedDimension, int targetEmbedDimension, double coresetFraction, int coresetProjectionDim,
        int coresetStartingPoints, ImageScore imageScore, int reweightNeighbors, PatchMatrix.Precision bankPrecision,
        FeatureStorage featureStorage, String kernels, int threads, long seed, String device) {

    /** How the image score is derived from the patch scores. */
    enum ImageScore {
        /** Largest patch score (the official implementation). */
        MAX,
        /** The paper's re-weighting of the largest patch score by its neighbourhood in the bank (Eq. 7). */
        REWEIGHTED
    }

    /** Where the training patch features are kept before coreset selection. */
    enum FeatureStorage {
        /** Off-heap memory when they fit in 1 GiB, a memory-mapped temporary file otherwise. */
        AUTO,
        /** Off-heap (direct) memory. */
        MEMORY,
        /** A memory-mapped temporary file, paged by the OS (for banks larger than RAM). */
        MAPPED
    }

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("wide_resnet50_2");
    static final Param<String> LAYERS = SharedParams.LAYERS.withDefault("layer2,layer3");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
    static final Param<Integer> CROP_SIZE = SharedParams.CROP_SIZE.withDefault(224);
    static final Param<Integer> PATCH_SIZE = Param.ofInt("patch_size", 3, 1, 15,
            "Odd side of the neighbourhood aggregated into each patch feature (official: 3)");
    static final Param<Integer> PRETRAIN_EMBED_DIMENSION = Param.ofInt("pretrain_embed_dimension", 1024, 1, 65536,
            "Per-layer dimension after adaptive average pooling of the flattened neighbourhood (official: 1024)");
    static final Param<Integer> TARGET_EMBED_DIMENSION = Param.ofInt("target_embed_dimension", 1024, 1, 65536,
            "Patch feature dimension after pooling the stacked layers (official: 1024)");
    static final Param<Double> CORESET_FRACTION = Param.ofDouble("coreset_fraction", 0.1, 1e-6, 1.0,
            "Share of training patches kept in the memory bank by greedy coreset selection; 1 keeps all "
                    + "(official: 0.1 at 224 px, 0.01 at 320 px or with ensembles)");
    static final Param<Integer> CORESET_PROJECTION_DIM = Param.ofInt("coreset_projection_dim", 128, 1, 4096,
            "Dimension of the random projection used to choose the coreset (official: 128)");
    static final Param<Integer> CORESET_STARTING_POINTS = Param.ofInt("coreset_starting_points", 10, 1, 10_000,
            "Random patches whose mean distance initializes the coreset distances (official: 10)");
    static final Param<ImageScore> IMAGE_SCORE = Param.ofEnum("image_score", ImageScore.class, ImageScore.MAX,
            "max: largest patch score (official code); reweighted: the paper's re-weighting by the nearest "
                    + "bank patch's neighbourhood");
    static final Param<Integer> REWEIGHT_NEIGHBORS = Param.ofInt("reweight_neighbors", 9, 1, 1000,
            "Bank neighbours b of the re-weighting (image_score=reweighted); anomalib uses 9");
    static final Param<PatchMatrix.Precision> BANK_PRECISION = Param.ofEnum("bank_precision",
            PatchMatrix.Precision.class, PatchMatrix.Precision.FLOAT32,
            "Storage of the memory bank: float32, or float16 (half the memory; scores change by ~1e-3 relative)");
    static final Param<FeatureStorage> FEATURE_STORAGE = Param.ofEnum("feature_storage", FeatureStorage.class,
            FeatureStorage.AUTO, "Where training patch features wait for coreset selection: auto, memory or mapped");
    static final Param<String> KERNELS = Param.ofString("kernels", "auto", s -> s.matches("auto|nd4j|djl"),
            "auto, nd4j or djl", "Backend of coreset selection and k-NN search: auto = nd4j on CPU, djl on CUDA "
                    + "(docs/kernels.md)");
    /** Two coreset workers, as before the key became shared (the machines it was tuned on have few cores). */
    static final Param<Integer> THREADS = SharedParams.THREADS.withDefault(2);
    /** The official smoothing of the upsampled map. */
    static final Param<Double> MAP_SIGMA = SharedParams.MAP_SIGMA.withDefault(4.0);

    static final List<Param<?>> PARAMS = List.of(BACKBONE, LAYERS, IMAGE_SIZE, CROP_SIZE, PATCH_SIZE,
            PRETRAIN_EMBED_DIMENSION, TARGET_EMBED_DIMENSION, CORESET_FRACTION, CORESET_PROJECTION_DIM,
            CORESET_STARTING_POINTS, IMAGE_SCORE, REWEIGHT_NEIGHBORS, MAP_SIGMA, BANK_PRECISION, FEATURE_STORAGE,
            KERNELS, THREADS, SharedParams.BATCH_SIZE, SharedParams.SEED, SharedParams.DEVICE);

    /** Validates what the keys' own rules cannot. */
    PatchCoreOptions {
        layers = List.copyOf(layers);
        if (patchSize % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'patch_size': " + patchSize + " (must be odd)");
        }
        Preprocessing.checkSizes(imageSize, cropSize);
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static PatchCoreOptions of(Config c) {
        long seed = c.get(SharedParams.SEED);
        return new PatchCoreOptions(Backbones.seeded(c.get(BACKBONE), seed), Arrays.asList(c.get(LAYERS).split(",")),
                c.get(IMAGE_SIZE), c.get(CROP_SIZE), c.get(PATCH_SIZE), c.get(PRETRAIN_EMBED_DIMENSION),
                c.get(TARGET_EMBED_DIMENSION), c.get(CORESET_FRACTION), c.get(CORESET_PROJECTION_DIM),
                c.get(CORESET_STARTING_POINTS), c.get(IMAGE_SCORE), c.get(REWEIGHT_NEIGHBORS), c.get(BANK_PRECISION),
                c.get(FEATURE_STORAGE), c.get(KERNELS), c.get(THREADS), seed, c.get(SharedParams.DEVICE));
    }

    /** @return the locally aware patch embedding these options describe */
    PatchEmbedding embedding() {
        return new PatchEmbedding(layers, patchSize, pretrainEmbedDimension, targetEmbedDimension);
    }

    /** @return coreset workers: {@code threads}, or one per core when it is 0 */
    int coresetThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
