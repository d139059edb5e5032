package dev.anomalysdk.reconstruction.autoencoder;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link AutoencoderDetector} as {@value #NAME}. */
public final class AutoencoderProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "autoencoder";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Convolutional autoencoder baseline: map = reconstruction error (L2 or 1 - SSIM)";
    }

    @Override
    public List<Param<?>> params() {
        return AutoencoderConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new AutoencoderDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        AutoencoderDetector d = new AutoencoderDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
