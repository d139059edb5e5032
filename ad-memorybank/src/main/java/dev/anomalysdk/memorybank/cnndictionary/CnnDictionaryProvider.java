package dev.anomalysdk.memorybank.cnndictionary;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link CnnDictionaryDetector} as {@value #NAME}. */
public final class CnnDictionaryProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "cnn_dictionary";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "CNN self-similarity dictionary (Napoletano et al. 2018): k-means dictionary of normal patch features";
    }

    @Override
    public List<Param<?>> params() {
        return CnnDictionaryConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new CnnDictionaryDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        CnnDictionaryDetector d = new CnnDictionaryDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
