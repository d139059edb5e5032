package dev.anomalysdk.teacher.mkd;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link MkdDetector}, with typed access. Defaults follow the official MKD code
 * (rohban-lab/Knowledge_Distillation_AD, configs/config.yaml with its MVTec AD values, models/network.py,
 * loss_functions.py): VGG-16 source, the small cloner ({@code cfg 'B'}, inner width 16), blocks 2-5 compared,
 * 128 px input without normalization (the official loader only scales to [0, 1]), Adam with learning rate
 * 1e-3, batch 64, 601 epochs (the config's {@code num_epochs} for MVTec AD; its loop runs one pass more),
 * lambda 0.5, maps from guided back-propagation, normalized per image and smoothed with a Gaussian of sigma 4.
 */
final class MkdConfig {
    /** How the gradient map is scaled. */
    enum MapNormalization {
        /** Per image: minimum to 0, 99th percentile to 1, clipped (official {@code convert_to_grayscale}). */
        PER_IMAGE,
        /** Raw summed absolute gradients, comparable between images. */
        NONE
    }

    /** How the input gradient is computed. */
    enum Localization {
        /** Guided back-propagation through the cloner (official default {@code gbp}). */
        GUIDED,
        /** Plain input gradient (official {@code gradients}). */
        GRADIENTS
    }

    static final Param<String> BACKBONE = Param.ofString("backbone", "vgg16", s -> !s.isBlank(),
            "a TorchScript VGG-16 file or URL returning the compared blocks' max-pools; or vgg16[:width=K] "
                    + "(random weights)",
            "Frozen source network: an exported ImageNet VGG-16 (tools/export_backbone.py --model vgg16 --layers "
                    + "features.9 features.16 features.23 features.30); vgg16 gives random weights (tests only)");
    static final Param<String> BLOCKS = Param.ofString("blocks", "2,3,4,5", s -> s.matches("[1-5](,[1-5])*"),
            "comma-separated VGG blocks 1 .. 5", "VGG blocks whose max-pooled outputs the cloner learns "
                    + "(official loss: 2,3,4,5)");
    static final Param<Integer> CLONER_WIDTH = Param.ofInt("cloner_width", 16, 1, 1024,
            "Width of the cloner's convolutions inside each block (official: 16)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 128, 32, 2048,
            "Side of the square network input in pixels, a multiple of 32 (official MVTec AD: 128)");
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 601, 1, 100_000,
            "Training epochs over the training images (official MVTec AD: 601)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 64, 1, 1024,
            "Training mini-batch size (official: 64); inference uses at most 16");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 1e-3, 1e-7, 1.0,
            "Adam learning rate, constant (official: 1e-3)");
    static final Param<Double> LAMBDA = Param.ofDouble("lambda", 0.5, 0.0, 1e6,
            "Weight of the squared-difference term against the direction term (official MVTec AD: 0.5)");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes (0 = none); the run stops at the budget or after the epochs");
    static final Param<Localization> LOCALIZATION = Param.ofEnum("localization", Localization.class,
            Localization.GUIDED, "Input gradient for the map: guided (official gbp: guided back-propagation "
                    + "through the cloner) or gradients (plain back-propagation)");
    static final Param<MapNormalization> MAP_NORMALIZATION = Param.ofEnum("map_normalization",
            MapNormalization.class, MapNormalization.PER_IMAGE,
            "Gradient map scaling: per_image (official: min to 0, 99th percentile to 1) or none");
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the gradient map in input pixels (official: 4); 0 disables");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (cloner initialization, batch order, calibration hold-out, random source weights)");
    static final Param<String> DEVICE = Param.ofString("device", "auto",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where source and cloner run; auto picks the first GPU when DJL has CUDA natives");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(BACKBONE, BLOCKS, CLONER_WIDTH, IMAGE_SIZE, EPOCHS, BATCH_SIZE,
            LEARNING_RATE, LAMBDA, MAX_MINUTES, LOCALIZATION, MAP_NORMALIZATION, BLUR_SIGMA, SEED, DEVICE));

    private final Config config;

    MkdConfig(Config config) {
        this.config = config;
        List<Integer> b = blocks();
        if (b.stream().distinct().count() != b.size()) {
            throw new IllegalArgumentException("Invalid value for 'blocks': " + config.get(BLOCKS)
                    + " (duplicate block)");
        }
        if (imageSize() % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize()
                    + " (must be a multiple of 32: VGG halves the resolution five times)");
        }
    }

    String backbone() {
        return config.get(BACKBONE);
    }

    /** @return the compared blocks, ascending */
    List<Integer> blocks() {
        return Arrays.stream(config.get(BLOCKS).split(",")).map(Integer::valueOf).sorted().toList();
    }

    int clonerWidth() {
        return config.get(CLONER_WIDTH);
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int epochs() {
        return config.get(EPOCHS);
    }

    int batchSize() {
        return config.get(BATCH_SIZE);
    }

    double learningRate() {
        return config.get(LEARNING_RATE);
    }

    float lambda() {
        return config.get(LAMBDA).floatValue();
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }

    Localization localization() {
        return config.get(LOCALIZATION);
    }

    MapNormalization mapNormalization() {
        return config.get(MAP_NORMALIZATION);
    }

    double blurSigma() {
        return config.get(BLUR_SIGMA);
    }

    long seed() {
        return config.get(SEED);
    }

    String device() {
        return config.get(DEVICE);
    }
}
