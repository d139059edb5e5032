package dev.anomalysdk.memorybank.patchcore;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link PatchCoreDetector} as {@value #NAME}. */
public final class PatchCoreProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "patchcore";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "PatchCore (Roth et al., CVPR 2022): coreset memory bank of locally aggregated patch features, "
                + "nearest-neighbour distance";
    }

    @Override
    public List<Param<?>> params() {
        return PatchCoreConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new PatchCoreDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        PatchCoreDetector d = new PatchCoreDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
