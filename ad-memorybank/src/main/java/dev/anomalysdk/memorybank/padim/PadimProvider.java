package dev.anomalysdk.memorybank.padim;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link PadimDetector} as {@value #NAME}. */
public final class PadimProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "padim";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "PaDiM (Defard et al. 2020): per-position Gaussian of CNN features, Mahalanobis distance map";
    }

    @Override
    public List<Param<?>> params() {
        return PadimConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new PadimDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        PadimDetector d = new PadimDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
