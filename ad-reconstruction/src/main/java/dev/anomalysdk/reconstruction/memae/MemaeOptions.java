package dev.anomalysdk.reconstruction.memae;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import java.util.List;
import java.util.stream.Stream;

/**
 * MemAE's own options, validated; the shared training keys are read by {@link NetworkDetector}. Defaults: 128 px,
 * base width 32, 4 levels, 500 memory items, shrinkage 1/500, entropy weight 0.0002 and Adam 1e-4 (the paper's),
 * 100 epochs, map smoothing sigma 4.
 *
 * @param imageSize side of the square network input, a multiple of {@code 2^(levels-1)}
 * @param width base width; the memory items have the deepest width
 * @param levels resolution levels
 * @param memorySlots number of memory items
 * @param shrinkThreshold hard-shrinkage threshold as configured: -1 for {@code 1/memorySlots}, or in [0, 1]
 * @param entropyWeight weight of the addressing entropy in the loss
 */
record MemaeOptions(int imageSize, int width, int levels, int memorySlots, double shrinkThreshold,
        double entropyWeight) {
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(128);
    static final Param<Integer> WIDTH = Param.ofInt("width", 32, 1, 1024,
            "Base width: channels b, 2b, 4b, 8b, 8b... per level; the memory items have the deepest width");
    static final Param<Integer> LEVELS = Param.ofInt("levels", 4, 2, 8,
            "Resolution levels; the memory addresses features at 1/2^(levels-1) of the input side");
    static final Param<Integer> MEMORY_SLOTS = Param.ofInt("memory_slots", 500, 1, 100_000,
            "Number N of memory items");
    static final Param<Double> SHRINK_THRESHOLD = Param.ofDouble("shrink_threshold", -1.0, -1.0, 1.0,
            "Hard-shrinkage threshold lambda on the addressing weights; -1 (default) = 1/memory_slots, 0 = none");
    static final Param<Double> ENTROPY_WEIGHT = Param.ofDouble("entropy_weight", 0.0002, 0.0, 10.0,
            "Weight of the addressing entropy in the loss (MemAE: 0.0002)");

    static final List<Param<?>> PARAMS = Stream.concat(
            Stream.of(IMAGE_SIZE, WIDTH, LEVELS, MEMORY_SLOTS, SHRINK_THRESHOLD, ENTROPY_WEIGHT, SharedParams.MAP_SIGMA),
            NetworkDetector.trainingParams(100, 1e-4).stream()).toList();

    /** Validates what the keys' own rules cannot. */
    MemaeOptions {
        EncoderDecoder.checkImageSize(imageSize, levels);
        if (shrinkThreshold < 0 && shrinkThreshold != -1.0) {
            throw new IllegalArgumentException("Invalid value for 'shrink_threshold': " + shrinkThreshold
                    + " (-1 for 1/memory_slots, or in [0, 1])");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static MemaeOptions of(Config c) {
        return new MemaeOptions(c.get(IMAGE_SIZE), c.get(WIDTH), c.get(LEVELS), c.get(MEMORY_SLOTS),
                c.get(SHRINK_THRESHOLD), c.get(ENTROPY_WEIGHT));
    }

    /** @return lambda, with the default 1/N resolved */
    double shrinkLambda() {
        return shrinkThreshold < 0 ? 1.0 / memorySlots : shrinkThreshold;
    }
}
