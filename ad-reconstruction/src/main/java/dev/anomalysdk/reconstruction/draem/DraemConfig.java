package dev.anomalysdk.reconstruction.draem;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.util.List;

/**
 * The configuration keys of {@link DraemDetector}. Defaults are the official DRAEM training setting (700
 * epochs, batch 8, Adam 1e-4 for both networks, 256 px, base widths 128 and 64); they take hours per category
 * on a GPU and are far too slow for a CPU: use {@code max_minutes} and smaller widths there.
 */
final class DraemConfig {
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 700, 1, 100_000,
            "Training epochs (passes over the training images); the learning rate drops x0.2 at 80 % and 90 %");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per training step and per inference batch");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 1e-4, 1e-8, 1.0,
            "Adam learning rate of both networks");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, 32, 2048,
            "Side of the square network input in pixels (a multiple of 32)");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (weights, batches, synthetic anomalies, calibration hold-out)");
    static final Param<Integer> RECON_WIDTH = Param.ofInt("recon_width", 128, 1, 1024,
            "Base width of the reconstructive encoder-decoder (channels b, 2b, 4b, 8b, 8b); official 128");
    static final Param<Integer> DISC_WIDTH = Param.ofInt("disc_width", 64, 1, 1024,
            "Base width of the discriminative U-Net (channels b, 2b, 4b, 8b, 8b, 8b); official 64");
    static final Param<String> ANOMALY_SOURCE = Param.ofString("anomaly_source", null, s -> !s.isBlank(),
            "a folder of images",
            "Folder of texture images pasted as anomalies, searched recursively (DRAEM uses DTD: point at "
                    + "dtd/images); unset = built-in procedural textures");
    static final Param<Double> ROTATE_PROBABILITY = Param.ofDouble("rotate_probability", 0.3, 0.0, 1.0,
            "Probability of rotating a normal training image by up to +-90 degrees (DRAEM: 0.3; 0 for aligned "
                    + "objects whose orientation matters)");
    static final Param<Integer> SCORE_POOL = Param.ofInt("score_pool", 21, 1, 255,
            "Odd side of the average pooling of the segmentation map whose maximum is the image score (DRAEM: 21)");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes; the schedule (and its LR drops) is compressed into it; 0 = none");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N", "Where the networks run");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(EPOCHS, BATCH_SIZE, LEARNING_RATE, IMAGE_SIZE, SEED, RECON_WIDTH,
            DISC_WIDTH, ANOMALY_SOURCE, ROTATE_PROBABILITY, SCORE_POOL, MAX_MINUTES, DEVICE));

    private final Config config;

    DraemConfig(Config config) {
        this.config = config;
        if (imageSize() % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize()
                    + " (DRAEM's U-Net needs a multiple of 32)");
        }
        if (scorePool() % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool() + " (must be odd)");
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

    int reconWidth() {
        return config.get(RECON_WIDTH);
    }

    int discWidth() {
        return config.get(DISC_WIDTH);
    }

    String anomalySource() {
        return config.get(ANOMALY_SOURCE);
    }

    double rotateProbability() {
        return config.get(ROTATE_PROBABILITY);
    }

    int scorePool() {
        return config.get(SCORE_POOL);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }
}
