package dev.anomalysdk.teacher.mkd;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/** Registers {@link MkdDetector} as {@value #NAME}. */
public final class MkdProvider implements DetectorProvider {
    /** The registered name. */
    public static final String NAME = "mkd";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "MKD (Salehi et al., CVPR 2021): a small VGG cloner learns a frozen VGG-16's multi-scale "
                + "features; the image score is their discrepancy, the map its gradient with respect to the pixels";
    }

    @Override
    public List<Param<?>> params() {
        return MkdConfig.ALL;
    }

    @Override
    public Detector create(Config config) {
        return new MkdDetector(config);
    }

    @Override
    public Detector load(ModelReader reader, Config config) throws IOException {
        MkdDetector d = new MkdDetector(config);
        try {
            d.restore(reader);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
