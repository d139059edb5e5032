package dev.anomalysdk.reconstruction.draem;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link DraemDetector} as {@value #NAME}. */
public final class DraemProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "draem";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "DRAEM (Zavrtanik et al. 2021): reconstruction + discriminative U-Net trained on Perlin-masked "
                + "synthetic anomalies";
    }

    @Override
    public List<Param<?>> params() {
        return DraemConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new DraemDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        DraemDetector d = new DraemDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
