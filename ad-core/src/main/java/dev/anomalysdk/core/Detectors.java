package dev.anomalysdk.core;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of detectors: finds them by name, creates them from settings, and loads saved ones.
 * Detectors register through {@link DetectorProvider} and {@link ServiceLoader}.
 */
public final class Detectors {
    private Detectors() {}

    private static Map<String, DetectorProvider> providers() {
        Map<String, DetectorProvider> out = new TreeMap<>();
        Iterator<DetectorProvider> it = ServiceLoader.load(DetectorProvider.class,
                Thread.currentThread().getContextClassLoader() != null
                        ? Thread.currentThread().getContextClassLoader()
                        : Detectors.class.getClassLoader()).iterator();
        while (it.hasNext()) {
            DetectorProvider p = it.next();
            if (!p.name().matches("[a-z][a-z0-9_]*")) {
                throw new IllegalStateException("Detector provider " + p.getClass().getName()
                        + " has an invalid name '" + p.name() + "' (lower case with underscores)");
            }
            DetectorProvider previous = out.put(p.name(), p);
            if (previous != null && !previous.getClass().equals(p.getClass())) {
                throw new IllegalStateException("Two detectors are registered as '" + p.name() + "': "
                        + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return out;
    }

    /** @return the names of all registered detectors, sorted */
    public static List<String> names() {
        return new ArrayList<>(providers().keySet());
    }

    /**
     * @return the provider registered under {@code name}
     * @throws IllegalArgumentException listing the known names when none matches
     */
    public static DetectorProvider provider(String name) {
        Map<String, DetectorProvider> all = providers();
        DetectorProvider p = all.get(name);
        if (p == null) {
            throw new IllegalArgumentException("Unknown detector '" + name + "'; known detectors: "
                    + String.join(", ", all.keySet()));
        }
        return p;
    }

    /**
     * Creates an unfitted detector.
     *
     * @param name registered name
     * @param settings configuration values as text ({@code key -> value}); unknown keys are rejected
     */
    public static Detector create(String name, Map<String, String> settings) {
        DetectorProvider p = provider(name);
        return p.create(Config.builder(p.params()).setAll(settings).build());
    }

    /** @return a configuration builder for the named detector, with its declared keys */
    public static Config.Builder configBuilder(String name) {
        return Config.builder(provider(name).params());
    }

    /**
     * Loads a saved detector.
     *
     * @param directory a directory written by {@link Detector#save(Path)}
     * @throws IOException naming the directory when it is not a model, is corrupt, or is from a newer format
     */
    public static Detector load(Path directory) throws IOException {
        DjlEnvironment.init();
        ModelReader reader = ModelReader.open(directory);
        String name = reader.manifest().path("detector").asText("");
        DetectorProvider p;
        try {
            p = provider(name);
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + directory + ": " + e.getMessage(), e);
        }
        Config.Builder b = Config.builder(p.params());
        var fields = reader.manifest().path("config").fields();
        try {
            while (fields.hasNext()) {
                var f = fields.next();
                b.set(f.getKey(), f.getValue().asText());
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + directory + " has an invalid configuration: " + e.getMessage(), e);
        }
        return p.load(reader, b.build());
    }
}
