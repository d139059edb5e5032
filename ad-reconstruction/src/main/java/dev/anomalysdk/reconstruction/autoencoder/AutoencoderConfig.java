package dev.anomalysdk.reconstruction.autoencoder;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.util.List;

/** The configuration keys of {@link AutoencoderDetector}. */
final class AutoencoderConfig {
    /** The training loss and the matching anomaly map. */
    enum Loss {
        /** Mean squared error; map = squared error averaged over channels. */
        L2,
        /** Mean squared error plus (1 - SSIM); map = 1 - SSIM averaged over channels. */
        L2_SSIM
    }

    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 100, 1, 100_000, "Training epochs");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per training step and per inference batch");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 1e-3, 1e-8, 1.0,
            "Adam learning rate (cosine decay to 1 %)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 128, 16, 2048,
            "Side of the square network input in pixels (a multiple of 2^(levels-1))");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (weights, batches, calibration hold-out)");
    static final Param<Integer> WIDTH = Param.ofInt("width", 32, 1, 1024,
            "Base width: channels b, 2b, 4b, 8b, 8b... per level");
    static final Param<Integer> LEVELS = Param.ofInt("levels", 4, 2, 8,
            "Resolution levels; the bottleneck is at 1/2^(levels-1) of the input side");
    static final Param<Integer> LATENT_CHANNELS = Param.ofInt("latent_channels", 16, 1, 4096,
            "Channels of the 1x1 bottleneck (smaller = less identity mapping, blurrier reconstructions)");
    static final Param<Loss> LOSS = Param.ofEnum("loss", Loss.class, Loss.L2_SSIM,
            "l2 or l2_ssim: training loss, and the map (squared error, or 1 - SSIM)");
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the error map in network pixels; 0 = none");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes; 0 = none");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N", "Where the network runs");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(EPOCHS, BATCH_SIZE, LEARNING_RATE, IMAGE_SIZE, SEED, WIDTH, LEVELS,
            LATENT_CHANNELS, LOSS, BLUR_SIGMA, MAX_MINUTES, DEVICE));

    private final Config config;

    AutoencoderConfig(Config config) {
        this.config = config;
        int multiple = 1 << (levels() - 1);
        if (imageSize() % multiple != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize() + " (must be a multiple "
                    + "of " + multiple + " for " + levels() + " levels)");
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

    int latentChannels() {
        return config.get(LATENT_CHANNELS);
    }

    Loss loss() {
        return config.get(LOSS);
    }

    double blurSigma() {
        return config.get(BLUR_SIGMA);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }
}
