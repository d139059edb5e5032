package dev.anomalysdk.reconstruction.memae;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.util.List;

/** The configuration keys of {@link MemaeDetector}. */
final class MemaeConfig {
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 100, 1, 100_000, "Training epochs");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per training step and per inference batch");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 1e-4, 1e-8, 1.0,
            "Adam learning rate (the MemAE paper's 1e-4), cosine decay to 1 %");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 128, 16, 2048,
            "Side of the square network input in pixels (a multiple of 2^(levels-1))");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (weights, memory, batches, calibration hold-out)");
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
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the error map in network pixels; 0 = none");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes; 0 = none");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N", "Where the network runs");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(EPOCHS, BATCH_SIZE, LEARNING_RATE, IMAGE_SIZE, SEED, WIDTH, LEVELS,
            MEMORY_SLOTS, SHRINK_THRESHOLD, ENTROPY_WEIGHT, BLUR_SIGMA, MAX_MINUTES, DEVICE));

    private final Config config;

    MemaeConfig(Config config) {
        this.config = config;
        int multiple = 1 << (levels() - 1);
        if (imageSize() % multiple != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize() + " (must be a multiple "
                    + "of " + multiple + " for " + levels() + " levels)");
        }
        double t = config.get(SHRINK_THRESHOLD);
        if (t < 0 && t != -1.0) {
            throw new IllegalArgumentException("Invalid value for 'shrink_threshold': " + t
                    + " (-1 for 1/memory_slots, or in [0, 1])");
        }
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

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    long seed() {
        return config.get(SEED);
    }

    int width() {
        return config.get(WIDTH);
    }

    int levels() {
        return config.get(LEVELS);
    }

    int memorySlots() {
        return config.get(MEMORY_SLOTS);
    }

    /** @return lambda, with the default 1/N resolved */
    double shrinkThreshold() {
        double t = config.get(SHRINK_THRESHOLD);
        return t < 0 ? 1.0 / memorySlots() : t;
    }

    double entropyWeight() {
        return config.get(ENTROPY_WEIGHT);
    }

    double blurSigma() {
        return config.get(BLUR_SIGMA);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }
}
