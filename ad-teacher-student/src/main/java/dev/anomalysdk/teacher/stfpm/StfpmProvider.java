package dev.anomalysdk.teacher.stfpm;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link StfpmDetector} as {@value #NAME}. */
public final class StfpmProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "stfpm";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "STFPM (Wang et al., BMVC 2021): a student ResNet learns a frozen teacher's normalized feature "
                + "pyramid; anomalies are where they disagree";
    }

    @Override
    public List<Param<?>> params() {
        return StfpmConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new StfpmDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        StfpmDetector d = new StfpmDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
