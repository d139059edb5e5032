package dev.anomalysdk.reconstruction.nsa;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.synthesis.PatchTransplant;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link NsaDetector}, with typed access. Defaults: widths 16-32-64-128-128, Adam
 * 1e-3 with cosine decay, 128-pixel training crops of images scaled to a 256-pixel shorter side, a 20-minute
 * budget (or 200 epochs, whichever ends first), image score = maximum of the smoothed map pooled over 9x9.
 */
final class NsaConfig {
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 200, 1, 1_000_000,
            "Most training epochs (one epoch = one crop per training image); training also stops at max_minutes");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 20.0, 0.0, 100_000.0,
            "Wall-clock training budget in minutes (0 = no limit; set 0 for models reproducible bit for bit)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Training crops per step (also images per inference batch)");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 1e-3, 1e-7, 1.0,
            "Initial Adam learning rate (cosine decay to 1 % of it)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, 16, 8192,
            "Images are scaled so their shorter side has this many pixels (aspect kept); the network sees the "
                    + "whole scaled image at inference");
    static final Param<Integer> CROP_SIZE = Param.ofInt("crop_size", 128, 16, 8192,
            "Side of the square training crops (a multiple of stem_stride * 2^(levels - 1), 32 by default; at most image_size)");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (initialization, crops, synthetic anomalies, validation split, calibration hold-out)");
    static final Param<String> WIDTHS = Param.ofString("widths", "16,32,64,128,128",
            s -> s.matches("\\d{1,4}(,\\d{1,4}){1,6}"), "2 to 7 comma-separated channel widths",
            "Channel widths of the U-Net levels, finest first");
    static final Param<Integer> STEM_STRIDE = Param.ofInt("stem_stride", 2, 1, 4,
            "Stride of the learned stem convolution before the U-Net (1 = none, 2 = a quarter of the cost, 4)");
    static final Param<Double> PATCH_MIN = Param.ofDouble("patch_min", 0.05, 0.01, 0.9,
            "Smallest transplanted patch side, as a fraction of the crop side");
    static final Param<Double> PATCH_MAX = Param.ofDouble("patch_max", 0.3, 0.01, 0.9,
            "Largest transplanted patch side, as a fraction of the crop side");
    static final Param<PatchTransplant.Blending> BLENDING = Param.ofEnum("blending", PatchTransplant.Blending.class,
            PatchTransplant.Blending.POISSON, "How transplanted patches are blended: poisson (seamless cloning), "
                    + "feathered, hard (cut-paste) or mixed (per patch: 1/2 Poisson, 1/4 feathered, 1/4 hard)");
    static final Param<Double> OWN_PALETTE = Param.ofDouble("own_palette", 0.0, 0.0, 1.0,
            "Share of blobs, lines and scratches painted with the image's own darkest/brightest value");
    static final Param<Integer> SCORE_POOL = Param.ofInt("score_pool", 9, 1, 255,
            "Odd window of the average pooling of the smoothed map whose maximum is the image score (1 = the "
                    + "smoothed map's maximum; DRAEM pools the raw map over 21)");
    static final Param<Double> MAP_SIGMA = Param.ofDouble("map_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the output map in network pixels (0 = none)");
    static final Param<Integer> VALIDATION_IMAGES = Param.ofInt("validation_images", 16, 0, 10_000,
            "Training images set aside for model selection on synthetic anomalies (0 = no model selection)");
    static final Param<Integer> VALIDATION_CROPS = Param.ofInt("validation_crops", 8, 1, 1000,
            "Synthetic validation crops per validation image");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where the network trains and runs");

    static final Param<Integer> THREADS = Param.ofInt("threads", 0, 0, 1024,
            "libtorch threads per operation for the whole process (0 = automatic: 1 when the load average exceeds "
                    + "3/4 of the cores, where more threads are several times slower, else libtorch's default)");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(EPOCHS, MAX_MINUTES, BATCH_SIZE, LEARNING_RATE, IMAGE_SIZE, CROP_SIZE,
            SEED, WIDTHS, STEM_STRIDE, PATCH_MIN, PATCH_MAX, BLENDING, OWN_PALETTE, SCORE_POOL, MAP_SIGMA,
            VALIDATION_IMAGES, VALIDATION_CROPS, DEVICE,
            THREADS));

    private final Config config;
    private final int[] widths;

    NsaConfig(Config config) {
        this.config = config;
        this.widths = Arrays.stream(config.get(WIDTHS).split(",")).mapToInt(Integer::parseInt).toArray();
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("Invalid value for 'widths': " + config.get(WIDTHS));
            }
        }
        if (stemStride() == 3) {
            throw new IllegalArgumentException("Invalid value for 'stem_stride': 3 (1, 2 or 4)");
        }
        int multiple = stemStride() << (widths.length - 1);
        if (cropSize() % multiple != 0) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize() + " (must be a multiple of "
                    + multiple + " for " + widths.length + " U-Net levels)");
        }
        if (cropSize() > imageSize()) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize()
                    + " (must not exceed image_size " + imageSize() + ")");
        }
        if (patchMax() < patchMin()) {
            throw new IllegalArgumentException("Invalid value for 'patch_max': " + patchMax()
                    + " (must be at least patch_min " + patchMin() + ")");
        }
        if (scorePool() % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool() + " (must be odd)");
        }
    }

    int epochs() {
        return config.get(EPOCHS);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
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

    int cropSize() {
        return config.get(CROP_SIZE);
    }

    long seed() {
        return config.get(SEED);
    }

    int[] widths() {
        return widths.clone();
    }

    int stemStride() {
        return config.get(STEM_STRIDE);
    }

    double patchMin() {
        return config.get(PATCH_MIN);
    }

    double patchMax() {
        return config.get(PATCH_MAX);
    }

    PatchTransplant.Blending blending() {
        return config.get(BLENDING);
    }

    double ownPalette() {
        return config.get(OWN_PALETTE);
    }

    int scorePool() {
        return config.get(SCORE_POOL);
    }

    double mapSigma() {
        return config.get(MAP_SIGMA);
    }

    int validationImages() {
        return config.get(VALIDATION_IMAGES);
    }

    int validationCrops() {
        return config.get(VALIDATION_CROPS);
    }

    int threads() {
        return config.get(THREADS);
    }

    String device() {
        return config.get(DEVICE);
    }
}
