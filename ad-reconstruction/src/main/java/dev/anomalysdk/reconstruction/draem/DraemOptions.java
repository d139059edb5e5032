package dev.anomalysdk.reconstruction.draem;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.training.NetworkDetector;
import java.util.List;
import java.util.stream.Stream;

/**
 * DRAEM's own options, validated; the shared training keys are read by {@link NetworkDetector}. Defaults are the
 * official DRAEM training setting (700 epochs, batch 8, Adam 1e-4 for both networks, 256 px, base widths 128 and
 * 64); they take hours per category on a GPU and are far too slow for a CPU: use {@code max_minutes} and smaller
 * widths there. DRAEM does not smooth its map, so {@code map_sigma} is not a key.
 *
 * @param imageSize side of the square network input, a multiple of 32
 * @param reconWidth base width of the reconstructive encoder-decoder
 * @param discWidth base width of the discriminative U-Net
 * @param anomalySource folder of texture images, or {@code null} for procedural textures
 * @param rotateProbability probability of rotating a normal training image
 * @param scorePool odd side of the average pooling whose maximum is the image score
 */
record DraemOptions(int imageSize, int reconWidth, int discWidth, String anomalySource, double rotateProbability,
        int scorePool) {
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
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

    static final List<Param<?>> PARAMS = Stream.concat(
            Stream.of(IMAGE_SIZE, RECON_WIDTH, DISC_WIDTH, ANOMALY_SOURCE, ROTATE_PROBABILITY, SCORE_POOL),
            NetworkDetector.trainingParams(700, 1e-4).stream()).toList();

    /** Validates what the keys' own rules cannot. */
    DraemOptions {
        if (imageSize % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize
                    + " (DRAEM's U-Net needs a multiple of 32)");
        }
        if (scorePool % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool + " (must be odd)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static DraemOptions of(Config c) {
        return new DraemOptions(c.get(IMAGE_SIZE), c.get(RECON_WIDTH), c.get(DISC_WIDTH), c.get(ANOMALY_SOURCE),
                c.get(ROTATE_PROBABILITY), c.get(SCORE_POOL));
    }
}
