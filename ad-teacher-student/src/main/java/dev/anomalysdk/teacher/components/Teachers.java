package dev.anomalysdk.teacher.components;

import ai.djl.Device;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.features.ResNetBackbone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * Opening frozen teachers for teacher-student detectors: the {@code backbone} spec of
 * {@link Backbones#create} (an exported TorchScript file, or a random-init built-in ResNet that takes the
 * detector's seed unless the spec names one), and recognizing a teacher's ResNet architecture so a
 * student can mirror it.
 */
public final class Teachers {
    private Teachers() {}

    /**
     * Opens a teacher returning the given layers.
     *
     * @param spec the {@code backbone} value
     * @param seed the detector's seed (see {@link #seeded})
     * @param layers layers to return, shallow to deep
     * @param device where it runs
     * @return the teacher, to be closed by the caller
     * @throws UncheckedIOException naming the file when a TorchScript teacher cannot be read
     * @throws IllegalArgumentException when the teacher lacks one of the layers
     */
    public static FeatureExtractor open(String spec, long seed, List<String> layers, Device device) {
        FeatureExtractor fx;
        try {
            fx = Backbones.create(Backbones.seeded(spec, seed), layers, device);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open teacher backbone '" + spec + "': " + e.getMessage(), e);
        }
        if (!fx.layers().equals(layers)) {
            String got = fx.layers().toString();
            fx.close();
            throw new IllegalArgumentException("Teacher backbone '" + spec + "' returns layers " + got + " but "
                    + layers + " are needed; export it with --layers " + String.join(" ", layers));
        }
        return fx;
    }

    /**
     * @param teacher a backbone
     * @return its torchvision ResNet architecture: a built-in ResNet's, or the one a TorchScript sidecar
     *     names; empty when unknown
     */
    public static Optional<ResNetBackbone.Architecture> architecture(FeatureExtractor teacher) {
        String name = teacher.architectureName();
        for (ResNetBackbone.Architecture a : ResNetBackbone.Architecture.values()) {
            if (a.id().equalsIgnoreCase(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
