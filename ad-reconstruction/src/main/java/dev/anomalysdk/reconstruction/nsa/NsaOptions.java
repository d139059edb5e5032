package dev.anomalysdk.reconstruction.nsa;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.synthesis.PatchTransplant;
import dev.anomalysdk.core.training.TrainingControl;
import java.util.Arrays;
import java.util.List;

/**
 * NSA's options, validated. Defaults: widths 16-32-64-128-128, Adam 1e-3 with cosine decay, 128-pixel training
 * crops of images scaled to a 256-pixel shorter side, a 20-minute budget (or 200 epochs, whichever ends first),
 * map smoothing sigma 4, image score = maximum of the smoothed map pooled over 9x9.
 *
 * @param epochs most training epochs
 * @param maxMinutes wall-clock training budget, 0 = none
 * @param batchSize training crops per step
 * @param learningRate initial Adam learning rate
 * @param imageSize shorter side of the scaled images
 * @param cropSize side of the square training crops
 * @param seed random seed
 * @param widths channel widths of the U-Net levels, finest first
 * @param stemStride stride of the stem convolution (1, 2 or 4)
 * @param patchMin smallest transplanted patch side, as a fraction of the crop side
 * @param patchMax largest transplanted patch side, as a fraction of the crop side
 * @param blending how transplanted patches are blended
 * @param ownPalette share of defects painted with the image's own extreme values
 * @param scorePool odd window of the average pooling whose maximum is the image score
 * @param mapSigma smoothing of the map before the image score (the core smooths the returned map the same way)
 * @param validationImages training images set aside for model selection
 * @param validationCrops synthetic validation crops per validation image
 * @param device where the network trains and runs
 */
record NsaOptions(int epochs, double maxMinutes, int batchSize, double learningRate, int imageSize, int cropSize,
        long seed, List<Integer> widths, int stemStride, double patchMin, double patchMax,
        PatchTransplant.Blending blending, double ownPalette, int scorePool, double mapSigma, int validationImages,
        int validationCrops, String device) {
    static final Param<Integer> EPOCHS = SharedParams.EPOCHS.withDefault(200);
    static final Param<Double> MAX_MINUTES = SharedParams.MAX_MINUTES.withDefault(20.0);
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
    /**
     * NSA's own key despite the shared name: a training crop (inference sees the whole scaled image), not the
     * shared center crop of the network input.
     */
    static final Param<Integer> CROP_SIZE = Param.ofInt("crop_size", 128, 16, 8192,
            "Side of the square training crops (a multiple of stem_stride * 2^(levels - 1), 32 by default; at most "
                    + "image_size); inference sees the whole scaled image");
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
    static final Param<Integer> VALIDATION_IMAGES = Param.ofInt("validation_images", 16, 0, 10_000,
            "Training images set aside for model selection on synthetic anomalies (0 = no model selection)");
    static final Param<Integer> VALIDATION_CROPS = Param.ofInt("validation_crops", 8, 1, 1000,
            "Synthetic validation crops per validation image");

    static final List<Param<?>> PARAMS = TrainingControl.withControlParams(List.of(EPOCHS, MAX_MINUTES,
            SharedParams.BATCH_SIZE, SharedParams.LEARNING_RATE, IMAGE_SIZE, CROP_SIZE, SharedParams.SEED, WIDTHS,
            STEM_STRIDE, PATCH_MIN, PATCH_MAX, BLENDING, OWN_PALETTE, SCORE_POOL, SharedParams.MAP_SIGMA,
            VALIDATION_IMAGES, VALIDATION_CROPS, SharedParams.DEVICE));

    /** Validates what the keys' own rules cannot. */
    NsaOptions {
        widths = List.copyOf(widths);
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("Invalid value for 'widths': " + widths);
            }
        }
        if (stemStride == 3) {
            throw new IllegalArgumentException("Invalid value for 'stem_stride': 3 (1, 2 or 4)");
        }
        int multiple = stemStride << (widths.size() - 1);
        if (cropSize % multiple != 0) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize + " (must be a multiple of "
                    + multiple + " for " + widths.size() + " U-Net levels)");
        }
        if (cropSize > imageSize) {
            throw new IllegalArgumentException("Invalid value for 'crop_size': " + cropSize
                    + " (must not exceed image_size " + imageSize + ")");
        }
        if (patchMax < patchMin) {
            throw new IllegalArgumentException("Invalid value for 'patch_max': " + patchMax
                    + " (must be at least patch_min " + patchMin + ")");
        }
        if (scorePool % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool + " (must be odd)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static NsaOptions of(Config c) {
        List<Integer> widths = Arrays.stream(c.get(WIDTHS).split(",")).map(Integer::valueOf).toList();
        return new NsaOptions(c.get(EPOCHS), c.get(MAX_MINUTES), c.get(SharedParams.BATCH_SIZE),
                c.get(SharedParams.LEARNING_RATE), c.get(IMAGE_SIZE), c.get(CROP_SIZE), c.get(SharedParams.SEED),
                widths, c.get(STEM_STRIDE), c.get(PATCH_MIN), c.get(PATCH_MAX), c.get(BLENDING), c.get(OWN_PALETTE),
                c.get(SCORE_POOL), c.get(SharedParams.MAP_SIGMA), c.get(VALIDATION_IMAGES), c.get(VALIDATION_CROPS),
                c.get(SharedParams.DEVICE));
    }

    /** @return the U-Net widths as the network takes them */
    int[] widthArray() {
        return widths.stream().mapToInt(Integer::intValue).toArray();
    }
}
