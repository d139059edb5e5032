package dev.anomalysdk.core.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Real-IAD, whose splits come only from one JSON file per category:
 *
 * <pre>
 * root/realiad_jsons/{category}.json         (multi-view split; realiad_jsons_sv/ for single view, ...)
 * root/realiad_{1024,512,256,raw}/{category}/OK/S0001/{category}_0001_OK_C1_{timestamp}.jpg
 * root/realiad_{res}/{category}/NG/{defect}/S0002/..._NG_C1_{timestamp}.jpg + ..._mask.png
 * </pre>
 *
 * <p>The JSON holds {@code meta.prefix} (the category folder, e.g. {@code audiojack/}),
 * {@code meta.normal_class} ({@code OK}) and {@code train}/{@code test} lists of entries with
 * {@code anomaly_class}, {@code image_path} and {@code mask_path} (null for normal images), paths relative
 * to {@code realiad_{res}/{prefix}}. An entry is normal when its class equals the normal class; the defect
 * type is its class code (e.g. {@code BX}). Ids are the image paths as written in the JSON. Paths that are
 * absolute or leave the dataset root are rejected. Training entries labelled anomalous (the fully
 * unsupervised splits {@code realiad_jsons_fuiad_*} add some on purpose) are kept, with their label, and
 * counted in a warning.
 *
 * <p>Each physical object is photographed from five cameras; {@link #sampleKey(String)} maps an image path to
 * its object so that evaluation can aggregate the views (sample-level AUROC). Stateless.
 */
public final class RealIadReader implements DatasetReader {
    /** Folder of the multi-view JSON files. */
    public static final String MULTI_VIEW = "realiad_jsons";
    /** Folder of the single-view JSON files. */
    public static final String SINGLE_VIEW = "realiad_jsons_sv";
    /** Image resolutions tried, in order, when none is given. */
    public static final List<String> RESOLUTIONS = List.of("1024", "512", "256", "raw");

    private static final Logger LOG = LoggerFactory.getLogger(RealIadReader.class);
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z][a-zA-Z0-9_]*_[0-9]{4}_[A-Z][A-Z_]*[A-Z])_C[0-9]_");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String jsonFolder;
    private final String resolution;

    /** A multi-view reader choosing the first resolution present (see {@link #RESOLUTIONS}). */
    public RealIadReader() {
        this(MULTI_VIEW, null);
    }

    /**
     * A reader for a given split and resolution.
     *
     * @param jsonFolder the JSON folder under the root: {@link #MULTI_VIEW}, {@link #SINGLE_VIEW} or e.g.
     *     {@code realiad_jsons_fuiad_0.1}
     * @param resolution {@code 1024}, {@code 512}, {@code 256} or {@code raw} (images under
     *     {@code realiad_<resolution>/}); {@code null} for the first present
     */
    public RealIadReader(String jsonFolder, String resolution) {
        TreeLayout.checkCategoryName(Objects.requireNonNull(jsonFolder, "jsonFolder"));
        if (resolution != null) {
            TreeLayout.checkCategoryName(resolution);
        }
        this.jsonFolder = jsonFolder;
        this.resolution = resolution;
    }

    /**
     * @param singleView whether to read the single-view split ({@link #SINGLE_VIEW}) rather than the
     *     multi-view one
     * @return a reader choosing the first resolution present
     */
    public static RealIadReader of(boolean singleView) {
        return new RealIadReader(singleView ? SINGLE_VIEW : MULTI_VIEW, null);
    }

    @Override
    public String name() {
        return "realiad";
    }

    /** @return the JSON folder this reader uses */
    public String jsonFolder() {
        return jsonFolder;
    }

    /**
     * The physical object an image shows, shared by its five camera views: for
     * {@code NG/BX/S0012/audiojack_0012_NG_C3_20231021.jpg} it is {@code audiojack_0012_NG}. A path that
     * does not follow the Real-IAD naming is its own key.
     *
     * @param imagePath an image path or file name
     * @return the object key
     */
    public static String sampleKey(String imagePath) {
        Matcher m = SAMPLE.matcher(imagePath);
        return m.find() ? m.group(1) : imagePath;
    }

    /**
     * Groups samples by {@link #sampleKey(String)} of their ids, keeping the order of first appearance.
     *
     * @param samples samples read by this reader
     * @return object key to the samples (views) of that object
     */
    public static Map<String, List<Sample>> groupBySample(List<Sample> samples) {
        Map<String, List<Sample>> groups = new LinkedHashMap<>();
        for (Sample s : samples) {
            groups.computeIfAbsent(sampleKey(s.id()), k -> new ArrayList<>()).add(s);
        }
        groups.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(groups);
    }

    @Override
    public List<String> categories(Path root) throws IOException {
        DatasetFiles.requireDir(root, "Dataset root");
        Path dir = DatasetFiles.requireDir(root.resolve(jsonFolder), "Real-IAD JSON folder");
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().forEach(out::add);
        }
        if (out.isEmpty()) {
            throw new IOException("No Real-IAD JSON files (<category>.json) in " + dir);
        }
        return out;
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        TreeLayout.checkCategoryName(category);
        DatasetFiles.requireDir(root, "Dataset root");
        Path json = root.resolve(jsonFolder).resolve(category + ".json");
        if (!Files.isRegularFile(json)) {
            throw new IOException("Real-IAD JSON file not found: " + json);
        }
        JsonNode doc;
        try (InputStream in = Files.newInputStream(json)) {
            doc = JSON.readTree(in);
        } catch (IOException e) {
            throw new IOException("Cannot parse Real-IAD JSON " + json + ": " + e.getMessage(), e);
        }
        if (doc == null || !doc.isObject()) {
            throw new IOException("Real-IAD JSON " + json + " is not an object");
        }
        JsonNode meta = doc.path("meta");
        String prefix = meta.path("prefix").asText(category + "/");
        String normalClass = meta.path("normal_class").asText("OK");
        Path imagesRoot = imagesRoot(root, category);
        Path base = DatasetFiles.safeResolve(imagesRoot, prefix.isBlank() ? category : prefix, json);
        DatasetFiles.requireDir(base, "Real-IAD image folder of category '" + category + "'");

        List<Sample> train = entries(doc, "train", json, base, normalClass);
        List<Sample> test = entries(doc, "test", json, base, normalClass);
        long noisy = train.stream().filter(Sample::anomalous).count();
        if (noisy > 0) {
            LOG.warn("Real-IAD category '{}': {} of {} training entries in {} are labelled anomalous; kept in train",
                    category, noisy, train.size(), json);
        }
        if (train.isEmpty()) {
            throw new IOException("No training entries in " + json);
        }
        return new DatasetSplit(category, train, List.of(), test);
    }

    private Path imagesRoot(Path root, String category) throws IOException {
        if (resolution != null) {
            return DatasetFiles.requireDir(root.resolve("realiad_" + resolution), "Real-IAD image folder");
        }
        for (String res : RESOLUTIONS) {
            Path dir = root.resolve("realiad_" + res);
            if (Files.isDirectory(dir.resolve(category))) {
                return dir;
            }
        }
        throw new IOException("No Real-IAD images for category '" + category + "' under " + root
                + ": looked for realiad_{" + String.join(",", RESOLUTIONS) + "}/" + category);
    }

    private static List<Sample> entries(JsonNode doc, String split, Path json, Path base, String normalClass)
            throws IOException {
        JsonNode list = doc.path(split);
        if (list.isMissingNode() || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IOException("'" + split + "' in Real-IAD JSON " + json + " is not a list");
        }
        List<Sample> out = new ArrayList<>();
        for (JsonNode e : list) {
            JsonNode img = e.path("image_path");
            if (!img.isTextual()) {
                throw new IOException("Entry without image_path in '" + split + "' of " + json + ": " + e);
            }
            String cls = e.path("anomaly_class").asText(normalClass);
            boolean anomalous = !cls.equals(normalClass);
            Path image = DatasetFiles.safeResolve(base, img.asText(), json);
            DatasetFiles.requireFile(image, json);
            Path mask = null;
            JsonNode m = e.path("mask_path");
            if (anomalous && m.isTextual() && !m.asText().isBlank()) {
                mask = DatasetFiles.safeResolve(base, m.asText(), json);
                DatasetFiles.requireFile(mask, json);
            }
            out.add(Sample.ofFile(DatasetFiles.relativeId(base, image), image, anomalous,
                    anomalous ? cls : "good", mask));
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }
}
