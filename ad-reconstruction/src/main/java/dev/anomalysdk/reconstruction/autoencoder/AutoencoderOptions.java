package dev.anomalysdk.reconstruction.autoencoder;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import java.util.List;
import java.util.stream.Stream;

/**
 * The autoencoder's own options, validated; the shared training keys are read by {@link NetworkDetector}.
 * Defaults: 128 px, base width 32, 4 levels, 16 latent channels, L2 + SSIM, Adam 1e-3 for 100 epochs, map
 * smoothing sigma 4.
 *
 * @param imageSize side of the square network input, a multiple of {@code 2^(levels-1)}
 * @param width base width
 * @param levels resolution levels
 * @param latentChannels channels of the 1x1 bottleneck
 * @param loss the training loss and the matching map
 */
record AutoencoderOptions(int imageSize, int width, int levels, int latentChannels, Loss loss) {
    /** The training loss and the matching anomaly map. */
    enum Loss {
        /** Mean squared error; map = squared error averaged over channels. */
        L2,
        /** Mean squared error plus (1 - SSIM); map = 1 - SSIM averaged over channels. */
        L2_SSIM
    }

    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(128);
    static final Param<Integer> WIDTH = Param.ofInt("width", 32, 1, 1024,
            "Base width: channels b, 2b, 4b, 8b, 8b... per level");
    static final Param<Integer> LEVELS = Param.ofInt("levels", 4, 2, 8,
            "Resolution levels; the bottleneck is at 1/2^(levels-1) of the input side");
    static final Param<Integer> LATENT_CHANNELS = Param.ofInt("latent_channels", 16, 1, 4096,
            "Channels of the 1x1 bottleneck (smaller = less identity mapping, blurrier reconstructions)");
    static final Param<Loss> LOSS = Param.ofEnum("loss", Loss.class, Loss.L2_SSIM,
            "l2 or l2_ssim: training loss, and the map (squared error, or 1 - SSIM)");

    static final List<Param<?>> PARAMS = Stream.concat(
            Stream.of(IMAGE_SIZE, WIDTH, LEVELS, LATENT_CHANNELS, LOSS, SharedParams.MAP_SIGMA),
            NetworkDetector.trainingParams(100, 1e-3).stream()).toList();

    /** Validates what the keys' own rules cannot. */
    AutoencoderOptions {
        EncoderDecoder.checkImageSize(imageSize, levels);
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static AutoencoderOptions of(Config c) {
        return new AutoencoderOptions(c.get(IMAGE_SIZE), c.get(WIDTH), c.get(LEVELS), c.get(LATENT_CHANNELS),
                c.get(LOSS));
    }
}
