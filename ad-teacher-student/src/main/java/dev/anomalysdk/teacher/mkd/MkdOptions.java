package dev.anomalysdk.teacher.mkd;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingSchedule;
import java.util.Arrays;
import java.util.List;

/**
 * MKD's options, validated. Defaults follow the official MKD code (rohban-lab/Knowledge_Distillation_AD,
 * configs/config.yaml with its MVTec AD values, models/network.py, loss_functions.py): VGG-16 source, the small
 * cloner ({@code cfg 'B'}, inner width 16), blocks 2-5 compared, 128 px input without normalization (the official
 * loader only scales to [0, 1]), Adam with learning rate 1e-3, batch 64, 601 epochs (the config's
 * {@code num_epochs} for MVTec AD; its loop runs one pass more), lambda 0.5, maps from guided back-propagation,
 * normalized per image and smoothed with a Gaussian of sigma 4 (the shared {@code map_sigma}).
 *
 * @param backbone the source's {@code backbone} spec
 * @param blocks compared VGG blocks, ascending
 * @param clonerWidth width of the cloner's convolutions inside each block
 * @param imageSize side of the square network input, a multiple of 32
 * @param epochs training epochs
 * @param batchSize training mini-batch size
 * @param learningRate Adam learning rate
 * @param lambda weight of the squared-difference term
 * @param maxMinutes wall-clock training budget, 0 = none
 * @param localization how the input gradient is computed
 * @param mapNormalization how the gradient map is scaled
 * @param seed random seed
 * @param device where source and cloner run
 */
record MkdOptions(String backbone, List<Integer> blocks, int clonerWidth, int imageSize, int epochs, int batchSize,
        double learningRate, float lambda, double maxMinutes, Localization localization,
        MapNormalization mapNormalization, long seed, String device) {
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

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("vgg16");
    static final Param<String> BLOCKS = Param.ofString("blocks", "2,3,4,5", s -> s.matches("[1-5](,[1-5])*"),
            "comma-separated VGG blocks 1 .. 5", "VGG blocks whose max-pooled outputs the cloner learns "
                    + "(official loss: 2,3,4,5)");
    static final Param<Integer> CLONER_WIDTH = Param.ofInt("cloner_width", 16, 1, 1024,
            "Width of the cloner's convolutions inside each block (official: 16)");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(128);
    static final Param<Integer> EPOCHS = SharedParams.EPOCHS.withDefault(601);
    static final Param<Integer> BATCH_SIZE = SharedParams.BATCH_SIZE.withDefault(64);
    static final Param<Double> LEARNING_RATE = SharedParams.LEARNING_RATE.withDefault(1e-3);
    static final Param<Double> LAMBDA = Param.ofDouble("lambda", 0.5, 0.0, 1e6,
            "Weight of the squared-difference term against the direction term (official MVTec AD: 0.5)");
    static final Param<Localization> LOCALIZATION = Param.ofEnum("localization", Localization.class,
            Localization.GUIDED, "Input gradient for the map: guided (official gbp: guided back-propagation "
                    + "through the cloner) or gradients (plain back-propagation)");
    static final Param<MapNormalization> MAP_NORMALIZATION = Param.ofEnum("map_normalization",
            MapNormalization.class, MapNormalization.PER_IMAGE,
            "Gradient map scaling: per_image (official: min to 0, 99th percentile to 1) or none");
    static final Param<Double> MAP_SIGMA = SharedParams.MAP_SIGMA.withDefault(4.0);
    static final Param<String> DEVICE = SharedParams.DEVICE.withDefault("auto");

    static final List<Param<?>> PARAMS = TrainingControl.withControlParams(List.of(BACKBONE, BLOCKS, CLONER_WIDTH,
            IMAGE_SIZE, EPOCHS, BATCH_SIZE, LEARNING_RATE, LAMBDA, SharedParams.MAX_MINUTES, LOCALIZATION,
            MAP_NORMALIZATION, MAP_SIGMA, SharedParams.SEED, DEVICE));

    /** Validates what the keys' own rules cannot. */
    MkdOptions {
        if (blocks.stream().distinct().count() != blocks.size()) {
            throw new IllegalArgumentException("Invalid value for 'blocks': "
                    + String.join(",", blocks.stream().map(String::valueOf).toList()) + " (duplicate block)");
        }
        blocks = blocks.stream().sorted().toList();
        if (imageSize % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize
                    + " (must be a multiple of 32: VGG halves the resolution five times)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static MkdOptions of(Config c) {
        return new MkdOptions(c.get(BACKBONE), Arrays.stream(c.get(BLOCKS).split(",")).map(Integer::valueOf).toList(),
                c.get(CLONER_WIDTH), c.get(IMAGE_SIZE), c.get(EPOCHS), c.get(BATCH_SIZE), c.get(LEARNING_RATE),
                c.get(LAMBDA).floatValue(), c.get(SharedParams.MAX_MINUTES), c.get(LOCALIZATION),
                c.get(MAP_NORMALIZATION), c.get(SharedParams.SEED), c.get(DEVICE));
    }

    /** @return Adam with the configured rate, constant rate */
    TrainingSchedule schedule() {
        return new TrainingSchedule(epochs, maxMinutes, TrainingSchedule.Optimizer.ADAM, learningRate,
                TrainingSchedule.Decay.CONSTANT, List.of(), 0.1, 0.01, 0, 0.9, 1, seed);
    }
}
