package dev.anomalysdk.reconstruction.dsr;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link DsrDetector} as {@value #NAME}. */
public final class DsrProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "dsr";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "DSR (Zavrtanik et al. 2022): dual-subspace re-projection on a two-codebook VQ model, trained on "
                + "anomalies made in the quantized feature space";
    }

    @Override
    public List<Param<?>> params() {
        return DsrConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new DsrDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        DsrDetector d = new DsrDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
