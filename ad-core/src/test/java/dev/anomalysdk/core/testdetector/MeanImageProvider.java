package dev.anomalysdk.core.testdetector;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Plugs {@link MeanImageDetector} in through ServiceLoader, as a user's jar would. */
public final class MeanImageProvider implements DetectorProvider {
    static final String NAME = "mean_image";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Test detector: distance to the mean training image";
    }

    @Override
    public List<Param<?>> params() {
        return MeanImageDetector.PARAMS;
    }

    @Override
    public Detector create(Config config) {
        return new MeanImageDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        MeanImageDetector d = new MeanImageDetector(config);
        d.restore(reader);
        return d;
    }
}
