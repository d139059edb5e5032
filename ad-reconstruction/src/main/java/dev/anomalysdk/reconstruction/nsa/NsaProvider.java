package dev.anomalysdk.reconstruction.nsa;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link NsaDetector} as {@code nsa}. */
public final class NsaProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "nsa";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Natural Synthetic Anomalies: a small U-Net trained from scratch on your normal images with "
                + "synthetic defects (no pretrained weights; offline default)";
    }

    @Override
    public List<Param<?>> params() {
        return NsaConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new NsaDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        NsaDetector d = new NsaDetector(config);
        d.restore(reader);
        return d;
    }
}
