package dev.anomalysdk.core.features;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backbone exported to TorchScript, typically a pretrained torchvision or timm model written by
 * {@code tools/export_backbone.py}, run by DJL's PyTorch engine.
 *
 * <p>The module's {@code forward(x)} takes a float32 NCHW batch and returns a tuple (or list) of NCHW
 * feature maps, shallow to deep. Its description comes from the JSON sidecar {@code <file>.json} written
 * by the export script: architecture, layer names, channels, strides, whether the weights are pretrained,
 * the input normalization and the file's SHA-256 (checked on load). Without a sidecar the caller names
 * the outputs, channels and strides are measured with one forward pass on a 224x224 zero image, the
 * weights count as not pretrained and ImageNet normalization is assumed.
 *
 * <p>{@link #extract} runs in inference mode (autograd off, batch-norm statistics frozen) and frees every
 * intermediate tensor; only the requested feature maps are left in the input's manager.
 * {@link #save} copies the TorchScript bytes into the model directory, so a saved detector does not
 * depend on the original file.
 */
public final class TorchScriptBackbone implements FeatureExtractor {
    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptBackbone.class);
    /** {@code kind} of this backbone in a saved descriptor. */
    static final String KIND = "torchscript";
    /** Saved TorchScript file, under the model prefix. */
    static final String FILE = "backbone.pt";
    /** {@code format} value of the export script's sidecar. */
    public static final String SIDECAR_FORMAT = "anomaly-sdk-backbone";
    /** Newest sidecar version this SDK reads. */
    public static final int SIDECAR_VERSION = 1;
    private static final int PROBE_SIZE = 224;

    private final Path file;
    private final boolean deleteOnClose;
    private final Model model;
    private final Block block;
    private final Device device;
    private final String architecture;
    private final String sha256;
    private final boolean pretrained;
    private final String weights;
    private final float[] mean;
    private final float[] std;
    /** All outputs of the module, in order. */
    private final List<String> outputs;
    private final List<Integer> outputChannels;
    private final List<Integer> outputStrides;
    /** The requested subset, in module order. */
    private final List<String> layers;
    /** Per module output, its name if requested, else null (dropped). */
    private final List<String> keep;

    private TorchScriptBackbone(Path file, boolean deleteOnClose, Sidecar meta, List<String> requested,
            Device device) throws IOException {
        DjlEnvironment.init();
        this.file = file;
        this.deleteOnClose = deleteOnClose;
        this.device = device;
        Model m = Model.newInstance("backbone", device, "PyTorch");
        try {
            // Loaded as trainable and then frozen: DJL otherwise loads the weights as libtorch inference
            // tensors, through which no gradient can flow to the input (forwardWithGradients).
            m.load(file, null, Map.of("mapLocation", "true", "trainParam", "true"));
            m.getBlock().freezeParameters(true);
        } catch (MalformedModelException | RuntimeException e) {
            m.close();
            throw new IOException("Cannot load TorchScript backbone " + file + ": " + firstLine(e), e);
        }
        this.model = m;
        this.block = m.getBlock();
        try {
            Sidecar s = meta;
            if (s.channels == null) {
                s = probe(s);
            }
            this.architecture = s.architecture;
            this.sha256 = s.sha256;
            this.pretrained = s.pretrained;
            this.weights = s.weights;
            this.mean = s.mean;
            this.std = s.std;
            this.outputs = List.copyOf(s.layers);
            this.outputChannels = List.copyOf(s.channels);
            this.outputStrides = List.copyOf(s.strides);
            List<String> req = requested == null ? outputs : requested;
            for (String r : req) {
                if (!outputs.contains(r)) {
                    throw new IllegalArgumentException("Layer '" + r + "' is not in backbone " + file
                            + ", which returns " + outputs);
                }
            }
            List<String> kept = new ArrayList<>();
            List<String> ordered = new ArrayList<>();
            for (String o : outputs) {
                kept.add(req.contains(o) ? o : null);
                if (req.contains(o)) {
                    ordered.add(o);
                }
            }
            this.keep = java.util.Collections.unmodifiableList(kept);
            this.layers = List.copyOf(ordered);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        LOG.info("Loaded TorchScript backbone {} ({}, layers {}, pretrained={}) on {}", file, architecture, layers,
                pretrained, device);
    }

    /**
     * Loads a TorchScript backbone and its sidecar {@code <file>.json}, returning all its layers.
     *
     * @param file the {@code .pt} file
     * @param device where to run it
     * @return the backbone
     * @throws IOException naming the file when it or its sidecar is missing, unreadable or inconsistent
     */
    public static TorchScriptBackbone load(Path file, Device device) throws IOException {
        return load(file, null, device);
    }

    /**
     * Loads a TorchScript backbone.
     *
     * @param file the {@code .pt} file
     * @param layers with a sidecar: the layers to return (a subset of the exported ones, {@code null} for
     *     all); without one: the names of the module's outputs, in order (required)
     * @param device where to run it
     * @return the backbone
     * @throws IOException naming the file when it is missing, unreadable, not TorchScript, or does not match
     *     its sidecar
     */
    public static TorchScriptBackbone load(Path file, List<String> layers, Device device) throws IOException {
        return load(file, layers, device, false);
    }

    private static TorchScriptBackbone load(Path file, List<String> layers, Device device, boolean deleteOnClose)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "TorchScript backbone file not found");
        }
        Path sidecarFile = sidecarOf(file);
        String hash = BackboneFiles.sha256(file);
        Sidecar meta;
        if (Files.isRegularFile(sidecarFile)) {
            meta = Sidecar.parse(Files.readAllBytes(sidecarFile), sidecarFile.toString());
            if (meta.sha256 != null && !meta.sha256.equals(hash)) {
                throw new IOException("Backbone " + file + " does not match its sidecar " + sidecarFile
                        + " (sha256 " + hash + ", sidecar says " + meta.sha256
                        + "); re-export both with tools/export_backbone.py");
            }
            meta = meta.withSha256(hash);
        } else {
            if (layers == null || layers.isEmpty()) {
                throw new IOException("Backbone " + file + " has no sidecar " + sidecarFile
                        + ": export it with tools/export_backbone.py, or name its outputs (layers)");
            }
            LOG.warn("Backbone {} has no sidecar {}: assuming untrained weights and ImageNet normalization",
                    file, sidecarFile);
            meta = Sidecar.unknown(layers, hash);
        }
        checkUnique(layers);
        return new TorchScriptBackbone(file, deleteOnClose, meta, meta.channels == null ? null : layers, device);
    }

    /**
     * Loads a TorchScript backbone from a path or URL ({@code file:}, {@code http:}, {@code https:}). A remote
     * file (and its sidecar {@code <url>.json}, if the server has one) is downloaded to a temporary file,
     * deleted on {@link #close()}.
     *
     * @param location a file path or URL
     * @param layers as for {@link #load(Path, List, Device)}
     * @param device where to run it
     * @return the backbone
     * @throws IOException naming the location when it cannot be fetched or loaded
     */
    public static TorchScriptBackbone load(String location, List<String> layers, Device device) throws IOException {
        String lower = location.toLowerCase(Locale.ROOT);
        if (lower.startsWith("file:")) {
            return load(Path.of(URI.create(location)), layers, device);
        }
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return load(Path.of(location), layers, device);
        }
        Path dir = Files.createTempDirectory("anomaly-sdk-backbone");
        String name = Path.of(URI.create(location).getPath()).getFileName().toString();
        Path local = dir.resolve(name.isEmpty() ? "backbone.pt" : name);
        try {
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(30)).build();
            LOG.info("Downloading backbone {}", location);
            if (!download(http, location, local)) {
                throw new IOException("Cannot download backbone " + location + ": not found");
            }
            download(http, location + ".json", sidecarOf(local));
            return load(local, layers, device, true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(sidecarOf(local));
            deleteQuietly(local);
            deleteQuietly(dir);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while downloading " + location, e);
        }
    }

    private static boolean download(HttpClient http, String url, Path to) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                return false;
            }
            if (r.statusCode() / 100 != 2) {
                throw new IOException("Cannot download " + url + ": HTTP " + r.statusCode());
            }
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
            return true;
        }
    }

    /** Rebuilds a backbone saved by {@link #save}; called by {@link Backbones#restore}. */
    static TorchScriptBackbone restore(ModelReader reader, String prefix, ObjectNode descriptor, Device device)
            throws IOException {
        String where = reader.directory() + " (" + prefix + FILE + ")";
        Sidecar meta = Sidecar.parse(descriptor, where);
        byte[] bytes = reader.bytes(prefix + FILE);
        String hash = BackboneFiles.sha256(bytes);
        if (!hash.equals(meta.sha256)) {
            throw new IOException("Backbone " + where + " has sha256 " + hash + " but the model says "
                    + meta.sha256 + "; the model directory is inconsistent");
        }
        Path tmp = Files.createTempFile("anomaly-sdk-backbone", ".pt");
        try {
            Files.write(tmp, bytes);
            return new TorchScriptBackbone(tmp, true, meta, meta.requested, device);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private Sidecar probe(Sidecar s) {
        List<Integer> channels = new ArrayList<>();
        List<Integer> strides = new ArrayList<>();
        try (NDManager probe = model.getNDManager().newSubManager()) {
            NDArray x = probe.zeros(new Shape(1, s.mean.length, PROBE_SIZE, PROBE_SIZE));
            NDList out = forward(x);
            if (out.size() != s.layers.size()) {
                throw new IllegalArgumentException("Backbone " + file + " returns " + out.size()
                        + " outputs but " + s.layers.size() + " layer names were given: " + s.layers);
            }
            for (NDArray a : out) {
                Shape shape = a.getShape();
                if (shape.dimension() != 4) {
                    throw new IllegalArgumentException("Backbone " + file + " returns a non-NCHW output " + shape);
                }
                channels.add((int) shape.get(1));
                strides.add((int) Math.round(PROBE_SIZE / (double) shape.get(2)));
            }
        }
        return new Sidecar(s.architecture, s.layers, channels, strides, s.pretrained, s.weights, s.mean, s.std,
                s.sha256, null);
    }

    private NDList forward(NDArray x) {
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
    }

    @Override
    public Map<String, NDArray> extract(NDArray input) {
        if (input.getShape().dimension() != 4) {
            throw new IllegalArgumentException("Backbone input must be NCHW, got " + input.getShape());
        }
        return ForwardScope.run(input,
                x -> block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false), keep, device);
    }

    /**
     * Runs the module with autograd as the calling thread has it (on inside a DJL {@code GradientCollector}),
     * for methods that need gradients with respect to the input (MKD's localization). Unlike
     * {@link #extract}, intermediate activations are not freed early: they stay in the input's manager, which
     * the caller closes. The weights stay frozen (TorchScript parameters do not require gradients).
     *
     * <p>DJL runs an inference forward pass under libtorch's inference mode, whose tensors cannot take part
     * in autograd, so this pass is a DJL training-mode call. A module traced by
     * {@code tools/export_backbone.py} keeps the eval-mode behaviour it was traced with (batch norm with
     * running statistics, no dropout); a scripted module with batch norm or dropout would not, and should
     * not be used here.
     *
     * @param input float32 NCHW batch on {@link #device()}
     * @return the requested layers' maps, in {@link #layers()} order
     */
    @Override
    public NDList forwardWithGradients(NDArray input) {
        NDList out = block.forward(new ParameterStore(input.getManager(), false), new NDList(input), true);
        NDList kept = new NDList();
        for (int i = 0; i < out.size(); i++) {
            if (keep.get(i) != null) {
                kept.add(out.get(i));
            }
        }
        return kept;
    }

    @Override
    public List<String> layers() {
        return layers;
    }

    @Override
    public List<Integer> channels() {
        return layers.stream().map(l -> outputChannels.get(outputs.indexOf(l))).toList();
    }

    @Override
    public List<Integer> strides() {
        return layers.stream().map(l -> outputStrides.get(outputs.indexOf(l))).toList();
    }

    @Override
    public boolean isPretrained() {
        return pretrained;
    }

    /** @return {@code torchscript:<architecture>:sha256=<hash of the file>} */
    @Override
    public String identity() {
        return KIND + ":" + architecture + ":sha256=" + sha256;
    }

    /** @return the architecture named by the sidecar, or {@code unknown} */
    public String architecture() {
        return architecture;
    }

    /** @return the architecture named by the sidecar, or {@code unknown} */
    @Override
    public String architectureName() {
        return architecture;
    }

    /** @return SHA-256 of the TorchScript file, hex */
    public String sha256() {
        return sha256;
    }

    /** @return the pretrained weights' tag (e.g. {@code ResNet18_Weights.IMAGENET1K_V1}), if known */
    public Optional<String> weights() {
        return Optional.ofNullable(weights);
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Preprocessing expectedPreprocessing(int resize, int cropSize) {
        return new Preprocessing(mean.length, Preprocessing.ResizeMode.SHORTER_SIDE, resize, cropSize, mean, std);
    }

    /**
     * Writes {@code <prefix>backbone.pt} (the TorchScript bytes) and {@code <prefix>backbone.json} (the
     * description, including the selected layers).
     *
     * @throws IOException if the file changed on disk since it was loaded
     */
    @Override
    public void save(ModelWriter writer, String prefix) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (!BackboneFiles.sha256(bytes).equals(sha256)) {
            throw new IOException("Backbone file " + file + " changed since it was loaded; reload it before saving");
        }
        writer.putBytes(prefix + FILE, bytes);
        writer.putBytes(prefix + BackboneFiles.DESCRIPTOR, BackboneFiles.JSON.writeValueAsBytes(sidecar().toJson()));
    }

    /** Number of arrays held by the loaded module's manager (parameters), for leak tests. */
    int managedArrayCount() {
        return model.getNDManager().getManagedArrays().size();
    }

    private Sidecar sidecar() {
        return new Sidecar(architecture, outputs, outputChannels, outputStrides, pretrained, weights, mean, std,
                sha256, layers);
    }

    @Override
    public void close() {
        model.close();
        if (deleteOnClose) {
            deleteQuietly(sidecarOf(file));
            deleteQuietly(file);
            Path parent = file.getParent();
            if (parent != null && parent.getFileName().toString().startsWith("anomaly-sdk-backbone")) {
                deleteQuietly(parent);
            }
        }
    }

    @Override
    public String toString() {
        return "TorchScriptBackbone[" + file + ", " + architecture + ", layers=" + layers + "]";
    }

    /** @return where the export script writes the sidecar of {@code file}: {@code <file>.json} */
    public static Path sidecarOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".json");
    }

    private static void checkUnique(List<String> layers) {
        if (layers != null && layers.stream().distinct().count() != layers.size()) {
            throw new IllegalArgumentException("Duplicate layer names: " + layers);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("Could not delete {}: {}", p, e.getMessage());
        }
    }

    private static String firstLine(Throwable e) {
        String msg = String.valueOf(e.getMessage());
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
    }

    /** The sidecar / saved descriptor fields. {@code channels == null} means "probe". */
    private record Sidecar(String architecture, List<String> layers, List<Integer> channels, List<Integer> strides,
            boolean pretrained, String weights, float[] mean, float[] std, String sha256, List<String> requested) {

        static Sidecar unknown(List<String> layers, String sha256) {
            return new Sidecar("unknown", List.copyOf(layers), null, null, false, null,
                    Preprocessing.IMAGENET_MEAN.clone(), Preprocessing.IMAGENET_STD.clone(), sha256, null);
        }

        Sidecar withSha256(String hash) {
            return new Sidecar(architecture, layers, channels, strides, pretrained, weights, mean, std, hash,
                    requested);
        }

        static Sidecar parse(byte[] json, String where) throws IOException {
            JsonNode root;
            try {
                root = BackboneFiles.JSON.readTree(json);
            } catch (JsonProcessingException e) {
                throw new IOException("Corrupt backbone sidecar " + where + ": " + e.getOriginalMessage(), e);
            }
            if (!(root instanceof ObjectNode obj)) {
                throw new IOException("Backbone sidecar " + where + " is not a JSON object");
            }
            return parse(obj, where);
        }

        static Sidecar parse(ObjectNode root, String where) throws IOException {
            if (root.has("format") && !SIDECAR_FORMAT.equals(root.path("format").asText())) {
                throw new IOException("Not a backbone sidecar (format '" + root.path("format").asText() + "'): "
                        + where);
            }
            int version = root.path("format_version").asInt(1);
            if (version > SIDECAR_VERSION) {
                throw new IOException("Backbone sidecar " + where + " has format_version " + version
                        + ", newer than this SDK reads (" + SIDECAR_VERSION + ")");
            }
            List<String> layers = strings(root, "layers", where);
            List<Integer> channels = ints(root, "channels", where);
            List<Integer> strides = ints(root, "strides", where);
            if (channels.size() != layers.size() || strides.size() != layers.size()) {
                throw new IOException("Backbone sidecar " + where + ": layers, channels and strides differ in length");
            }
            float[] mean = floats(root, "mean", Preprocessing.IMAGENET_MEAN, where);
            float[] std = floats(root, "std", Preprocessing.IMAGENET_STD, where);
            if (mean.length != std.length || (mean.length != 1 && mean.length != 3)) {
                throw new IOException("Backbone sidecar " + where + ": mean/std must have 1 or 3 values each");
            }
            JsonNode req = root.get("selected_layers");
            return new Sidecar(root.path("architecture").asText("unknown"), layers, channels, strides,
                    root.path("pretrained").asBoolean(false),
                    root.path("weights").isTextual() ? root.path("weights").asText() : null, mean, std,
                    root.path("sha256").isTextual() ? root.path("sha256").asText() : null,
                    req == null ? null : strings(root, "selected_layers", where));
        }

        ObjectNode toJson() {
            ObjectNode o = BackboneFiles.JSON.createObjectNode();
            o.put("kind", KIND);
            o.put("format", SIDECAR_FORMAT);
            o.put("format_version", SIDECAR_VERSION);
            o.put("architecture", architecture);
            layers.forEach(o.putArray("layers")::add);
            channels.forEach(o.putArray("channels")::add);
            strides.forEach(o.putArray("strides")::add);
            o.put("pretrained", pretrained);
            if (weights != null) {
                o.put("weights", weights);
            }
            ArrayNode m = o.putArray("mean");
            for (float v : mean) {
                m.add(v);
            }
            ArrayNode s = o.putArray("std");
            for (float v : std) {
                s.add(v);
            }
            o.put("sha256", sha256);
            if (requested != null) {
                requested.forEach(o.putArray("selected_layers")::add);
            }
            return o;
        }

        private static List<String> strings(JsonNode root, String field, String where) throws IOException {
            JsonNode a = root.get(field);
            if (a == null || !a.isArray() || a.isEmpty()) {
                throw new IOException("Backbone sidecar " + where + " lacks a non-empty '" + field + "' list");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode n : a) {
                if (!n.isTextual() && !n.isNumber()) {
                    throw new IOException("Backbone sidecar " + where + ": invalid entry in '" + field + "': " + n);
                }
                out.add(n.asText());
            }
            return out;
        }

        private static List<Integer> ints(JsonNode root, String field, String where) throws IOException {
            JsonNode a = root.get(field);
            if (a == null || !a.isArray()) {
                throw new IOException("Backbone sidecar " + where + " lacks a '" + field + "' list");
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode n : a) {
                if (!n.canConvertToInt() || n.asInt() < 1) {
                    throw new IOException("Backbone sidecar " + where + ": invalid entry in '" + field + "': " + n);
                }
                out.add(n.asInt());
            }
            return out;
        }

        private static float[] floats(JsonNode root, String field, float[] dflt, String where) throws IOException {
            JsonNode a = root.get(field);
            if (a == null || a.isNull()) {
                return dflt.clone();
            }
            if (!a.isArray()) {
                throw new IOException("Backbone sidecar " + where + ": '" + field + "' is not a list");
            }
            float[] out = new float[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) a.get(i).asDouble();
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sidecar s && s.toJson().equals(toJson());
        }

        @Override
        public int hashCode() {
            return toJson().hashCode();
        }

        @Override
        public String toString() {
            return toJson().toString();
        }
    }
}
