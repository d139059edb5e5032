package dev.anomalysdk.memorybank.anomalydino;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link AnomalyDinoDetector} as {@value #NAME}. */
public final class AnomalyDinoProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "anomaly_dino";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "AnomalyDINO (Damm et al. 2024): few-shot cosine k-NN on DINOv2 patch tokens";
    }

    @Override
    public List<Param<?>> params() {
        return AnomalyDinoConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new AnomalyDinoDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        AnomalyDinoDetector d = new AnomalyDinoDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
