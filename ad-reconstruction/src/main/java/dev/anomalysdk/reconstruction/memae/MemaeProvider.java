package dev.anomalysdk.reconstruction.memae;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link MemaeDetector} as {@value #NAME}. */
public final class MemaeProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "memae";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "MemAE (Gong et al. 2019): autoencoder with a sparse-addressed memory of normal features; map = squared error";
    }

    @Override
    public List<Param<?>> params() {
        return MemaeConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new MemaeDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        MemaeDetector d = new MemaeDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
