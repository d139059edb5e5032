package dev.anomalysdk.core;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;

/**
 * Plugs a detector into the SDK. Implementations are found with {@link java.util.ServiceLoader}: list the
 * class in {@code META-INF/services/dev.anomalysdk.core.DetectorProvider} of your jar and the detector is
 * available by name in {@link Detectors} and on the command line, without changing the SDK.
 * See {@code docs/custom-detector.md}.
 */
public interface DetectorProvider {

    /** @return the registered name: lower case with underscores, e.g. {@code patchcore} */
    String name();

    /** @return one line describing the method (shown by {@code ad list}) */
    String description();

    /** @return the configuration keys the detector accepts, with defaults and descriptions */
    List<Param<?>> params();

    /**
     * @param config built from {@link #params()}
     * @return a new, unfitted detector
     */
    Detector create(Config config);

    /**
     * Rebuilds a saved detector.
     *
     * @param reader the opened model directory
     * @param config the configuration stored with the model
     * @return the fitted detector, scoring exactly as the saved one did
     */
    Detector load(ModelReader reader, Config config) throws IOException;
}
