package dev.anomalysdk.reconstruction.filterbank;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link FilterBankDetector} as {@code filter_bank}. */
public final class FilterBankProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "filter_bank";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Training-free floor after AnomalyHop: cascaded PCA filter banks learned from normal patches and "
                + "per-position Gaussians; fits in seconds";
    }

    @Override
    public List<Param<?>> params() {
        return FilterBankConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new FilterBankDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        FilterBankDetector d = new FilterBankDetector(config);
        d.restore(reader);
        return d;
    }
}
