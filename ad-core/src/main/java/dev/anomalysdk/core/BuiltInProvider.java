package dev.anomalysdk.core;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * The {@link DetectorProvider} of a detector built on {@link BaseDetector}: name, description, keys and
 * constructor, with creation and restoring done once here. A detector declares it as a nested class
 * ({@code public static final class Provider extends BuiltInProvider}) listed in
 * {@code META-INF/services/dev.anomalysdk.core.DetectorProvider}.
 */
public abstract class BuiltInProvider implements DetectorProvider {
    private final String name;
    private final String description;
    private final List<Param<?>> params;
    private final Function<Config, ? extends BaseDetector> constructor;

    /**
     * @param name the registered name (lower case with underscores)
     * @param description one line for {@code ad list}
     * @param params the keys the detector accepts
     * @param constructor builds an unfitted detector from a validated configuration
     */
    protected BuiltInProvider(String name, String description, List<Param<?>> params,
            Function<Config, ? extends BaseDetector> constructor) {
        this.name = name;
        this.description = description;
        this.params = List.copyOf(params);
        this.constructor = constructor;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final List<Param<?>> params() {
        return params;
    }

    @Override
    public final Detector create(Config config) {
        return constructor.apply(config);
    }

    @Override
    public final Detector load(ModelReader reader, Config config) throws IOException {
        BaseDetector detector = constructor.apply(config);
        try {
            detector.restore(reader);
        } catch (IOException | RuntimeException e) {
            detector.close();
            throw e;
        }
        return detector;
    }
}
