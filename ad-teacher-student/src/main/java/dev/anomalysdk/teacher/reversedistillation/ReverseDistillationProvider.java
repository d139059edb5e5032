package dev.anomalysdk.teacher.reversedistillation;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link ReverseDistillationDetector} as {@value #NAME}. */
public final class ReverseDistillationProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "reverse_distillation";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Reverse Distillation (Deng & Li, CVPR 2022): a decoder student rebuilds a frozen teacher's "
                + "multi-scale features from a one-class embedding";
    }

    @Override
    public List<Param<?>> params() {
        return ReverseDistillationConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new ReverseDistillationDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        ReverseDistillationDetector d = new ReverseDistillationDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
