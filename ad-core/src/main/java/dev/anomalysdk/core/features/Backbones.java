package dev.anomalysdk.core.features;

import ai.djl.Device;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.persist.ModelReader;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates feature extractors from the command line's {@code --backbone} value, restores saved ones, and
 * warns when a detector runs on untrained weights.
 *
 * <p>Backbone specs:
 * <ul>
 *   <li>a path or {@code file:}/{@code http(s):} URL of a TorchScript file, e.g. {@code wrn50.pt}: a
 *       {@link TorchScriptBackbone}, described by its sidecar {@code <file>.json}</li>
 *   <li>{@code resnet18}, {@code resnet50} or {@code wide_resnet50_2}, optionally followed by
 *       {@code :seed=N} and {@code :width=K} (base width, 64 by default): a randomly initialized
 *       {@link ResNetBackbone}</li>
 * </ul>
 */
public final class Backbones {
    private static final Logger LOG = LoggerFactory.getLogger(Backbones.class);
    /** The forms {@link #create} accepts, for error messages and help text. */
    public static final String SPEC_FORMS = "a TorchScript file path or URL (e.g. wrn50.pt, file:/models/wrn50.pt, "
            + "https://host/wrn50.pt; export one with tools/export_backbone.py), or a random-init ResNet: "
            + "resnet18, resnet50 or wide_resnet50_2, optionally with :seed=N and :width=K (e.g. resnet18:seed=1:width=16)";
    private static final Set<FeatureExtractor> WARNED = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));

    private Backbones() {}

    /**
     * Creates a backbone from a spec (see the class description).
     *
     * @param spec the {@code --backbone} value
     * @param layers layers to return; {@code null} for all the backbone offers (a TorchScript file's exported
     *     layers, or {@code layer1 .. layer4} of a ResNet)
     * @param device where to run it
     * @return the backbone, to be closed by the caller
     * @throws IllegalArgumentException when the spec has none of the accepted forms, listing them
     * @throws IOException naming the file when a TorchScript backbone cannot be loaded
     */
    public static FeatureExtractor create(String spec, List<String> layers, Device device) throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("Empty backbone spec; use " + SPEC_FORMS);
        }
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("file:") || lower.startsWith("http://") || lower.startsWith("https://")) {
            return TorchScriptBackbone.load(s, layers, device);
        }
        String head = s.split(":", 2)[0];
        for (ResNetBackbone.Architecture a : ResNetBackbone.Architecture.values()) {
            if (a.id().equalsIgnoreCase(head)) {
                return resnet(a, s, layers, device);
            }
        }
        if (lower.endsWith(".pt") || lower.endsWith(".pth") || lower.endsWith(".ts") || lower.endsWith(".torchscript")
                || java.nio.file.Files.isRegularFile(java.nio.file.Path.of(s))) {
            return TorchScriptBackbone.load(java.nio.file.Path.of(s), layers, device);
        }
        throw new IllegalArgumentException("Unknown backbone '" + spec + "'; use " + SPEC_FORMS);
    }

    /**
     * Gives a detector's seed to a random built-in ResNet spec that names none, so that such a backbone
     * follows the detector's {@code seed} key; other specs are returned unchanged.
     *
     * @param spec the {@code backbone} value
     * @param seed the detector's seed
     * @return the spec to pass to {@link #create}
     */
    public static String seeded(String spec, long seed) {
        String head = spec.split(":", 2)[0];
        for (ResNetBackbone.Architecture a : ResNetBackbone.Architecture.values()) {
            if (a.id().equalsIgnoreCase(head)) {
                return spec.contains(":seed=") ? spec : spec + ":seed=" + seed;
            }
        }
        return spec;
    }

    private static ResNetBackbone resnet(ResNetBackbone.Architecture a, String spec, List<String> layers,
            Device device) {
        long seed = 0;
        int width = ResNetBackbone.STANDARD_BASE_WIDTH;
        String[] parts = spec.split(":");
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            try {
                if (kv.length == 2 && kv[0].equalsIgnoreCase("seed")) {
                    seed = Long.parseLong(kv[1].trim());
                    continue;
                }
                if (kv.length == 2 && kv[0].equalsIgnoreCase("width")) {
                    width = Integer.parseInt(kv[1].trim());
                    if (width < 1) {
                        throw new NumberFormatException();
                    }
                    continue;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid value in backbone option '" + parts[i] + "' of '" + spec
                        + "'; use " + SPEC_FORMS, e);
            }
            throw new IllegalArgumentException("Unknown backbone option '" + parts[i] + "' in '" + spec + "'; use "
                    + SPEC_FORMS);
        }
        return ResNetBackbone.random(a, width, layers, seed, device);
    }

    /**
     * Rebuilds a backbone written by {@link FeatureExtractor#save}, checking its hash.
     *
     * @param reader the model directory
     * @param prefix the prefix passed to {@code save}
     * @param device where to run it
     * @return the backbone, to be closed by the caller
     * @throws IOException naming the model directory when the backbone is missing, corrupt or unknown
     */
    public static FeatureExtractor restore(ModelReader reader, String prefix, Device device) throws IOException {
        String name = prefix + BackboneFiles.DESCRIPTOR;
        JsonNode root;
        try {
            root = BackboneFiles.JSON.readTree(reader.bytes(name));
        } catch (JsonProcessingException e) {
            throw new IOException("Corrupt backbone description " + reader.directory() + "/" + name, e);
        }
        if (!(root instanceof ObjectNode d)) {
            throw new IOException("Corrupt backbone description " + reader.directory() + "/" + name);
        }
        String kind = d.path("kind").asText();
        return switch (kind) {
            case TorchScriptBackbone.KIND -> TorchScriptBackbone.restore(reader, prefix, d, device);
            case ResNetBackbone.KIND -> ResNetBackbone.restore(reader, prefix, d, device);
            default -> throw new IOException("Unknown backbone kind '" + kind + "' in " + reader.directory() + "/"
                    + name + "; was the model written by a newer anomaly-sdk?");
        };
    }

    /**
     * Logs one warning per extractor instance when its weights are not pretrained: the detector's scores
     * will be near-useless on real images.
     *
     * @param fx the detector's backbone
     * @param detectorName the detector, for the message (e.g. {@code patchcore})
     * @return whether a warning was logged by this call
     */
    public static boolean warnIfUntrained(FeatureExtractor fx, String detectorName) {
        if (fx.isPretrained() || !WARNED.add(fx)) {
            return false;
        }
        // Suggest the architecture and layers this detector actually uses.
        String model = fx instanceof ResNetBackbone r ? r.architecture().id() : "wide_resnet50_2";
        String layers = String.join(" ", fx.layers());
        LOG.warn("{} needs pretrained features, but backbone {} has random (untrained) weights: anomaly scores on "
                + "real images will be near-useless. Export pretrained weights once with your own PyTorch: "
                + "`python tools/export_backbone.py --model {} --layers {} --out {}.pt`, then pass `--backbone {}.pt` "
                + "(docs/backbones.md).", detectorName, fx, model, layers, model, model);
        return true;
    }
}
