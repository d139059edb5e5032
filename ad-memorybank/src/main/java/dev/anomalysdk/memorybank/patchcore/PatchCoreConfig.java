package dev.anomalysdk.memorybank.patchcore;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.memorybank.kernels.PatchMatrix;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link PatchCoreDetector}, with typed access. Every default is the official
 * implementation's (patchcore-inspection, {@code sample_training.sh} for WideResNet-50 at 224 px; see
 * {@code shared/method-cards.md}, PatchCore): layers 2 and 3, 3x3 neighbourhoods, 1024-dimensional
 * features, 10 % approximate greedy coreset projected to 128 dimensions from 10 starting points, 1-NN
 * squared distance, image score = max, Gaussian sigma 4, resize 256 then center crop 224.
 */
final class PatchCoreConfig {

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

    static final Param<String> BACKBONE = Param.ofString("backbone", "wide_resnet50_2", s -> !s.isBlank(),
            "a TorchScript file or URL, or resnet18 / resnet50 / wide_resnet50_2 (random weights)",
            "Feature extractor: an exported pretrained TorchScript backbone (tools/export_backbone.py, "
                    + "torchvision wide_resnet50_2 for the paper's numbers), or a built-in architecture with "
                    + "random weights (offline fallback, weak on real images)");
    static final Param<String> LAYERS = Param.ofString("layers", "layer2,layer3",
            s -> s.matches("[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*"), "comma-separated layer names",
            "Backbone layers; deeper ones are resized to the first one's patch grid (official: layer2,layer3)");
    static final Param<Integer> RESIZE = Param.ofInt("resize", 256, 16, 8192,
            "Shorter image side after resizing, before the center crop (official: 256)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 224, 16, 8192,
            "Side of the center crop fed to the backbone (official: 224)");
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
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 4.0, 0.0, 64.0,
            "Sigma in pixels of the Gaussian smoothing of the upsampled map (official: 4); 0 disables it");
    static final Param<PatchMatrix.Precision> BANK_PRECISION = Param.ofEnum("bank_precision",
            PatchMatrix.Precision.class, PatchMatrix.Precision.FLOAT32,
            "Storage of the memory bank: float32, or float16 (half the memory; scores change by ~1e-3 relative)");
    static final Param<FeatureStorage> FEATURE_STORAGE = Param.ofEnum("feature_storage", FeatureStorage.class,
            FeatureStorage.AUTO, "Where training patch features wait for coreset selection: auto, memory or mapped");
    static final Param<String> KERNELS = Param.ofString("kernels", "auto", s -> s.matches("auto|nd4j|djl"),
            "auto, nd4j or djl", "Backend of coreset selection and k-NN search: auto = nd4j on CPU, djl on CUDA "
                    + "(docs/kernels.md)");
    static final Param<Integer> THREADS = Param.ofInt("threads", 2, 1, 256,
            "CPU threads of the coreset loop (nd4j kernels)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per backbone forward pass");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (coreset projection and starting points, calibration hold-out, random backbone weights)");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where the backbone (and the djl kernels) run");

    static final List<Param<?>> ALL = List.of(BACKBONE, LAYERS, RESIZE, IMAGE_SIZE, PATCH_SIZE,
            PRETRAIN_EMBED_DIMENSION, TARGET_EMBED_DIMENSION, CORESET_FRACTION, CORESET_PROJECTION_DIM,
            CORESET_STARTING_POINTS, IMAGE_SCORE, REWEIGHT_NEIGHBORS, BLUR_SIGMA, BANK_PRECISION, FEATURE_STORAGE,
            KERNELS, THREADS, BATCH_SIZE, SEED, DEVICE);

    private final Config config;

    PatchCoreConfig(Config config) {
        this.config = config;
        if (patchSize() % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'patch_size': " + patchSize() + " (must be odd)");
        }
        if (imageSize() > resize()) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize()
                    + " (the center crop cannot exceed 'resize' = " + resize() + ")");
        }
    }

    String backbone() {
        return Backbones.seeded(config.get(BACKBONE), seed());
    }

    List<String> layers() {
        return Arrays.asList(config.get(LAYERS).split(","));
    }

    int resize() {
        return config.get(RESIZE);
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int patchSize() {
        return config.get(PATCH_SIZE);
    }

    PatchEmbedding embedding() {
        return new PatchEmbedding(layers(), patchSize(), config.get(PRETRAIN_EMBED_DIMENSION),
                config.get(TARGET_EMBED_DIMENSION));
    }

    double coresetFraction() {
        return config.get(CORESET_FRACTION);
    }

    int coresetProjectionDim() {
        return config.get(CORESET_PROJECTION_DIM);
    }

    int coresetStartingPoints() {
        return config.get(CORESET_STARTING_POINTS);
    }

    ImageScore imageScore() {
        return config.get(IMAGE_SCORE);
    }

    int reweightNeighbors() {
        return config.get(REWEIGHT_NEIGHBORS);
    }

    double blurSigma() {
        return config.get(BLUR_SIGMA);
    }

    PatchMatrix.Precision bankPrecision() {
        return config.get(BANK_PRECISION);
    }

    FeatureStorage featureStorage() {
        return config.get(FEATURE_STORAGE);
    }

    String kernels() {
        return config.get(KERNELS);
    }

    int threads() {
        return config.get(THREADS);
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
