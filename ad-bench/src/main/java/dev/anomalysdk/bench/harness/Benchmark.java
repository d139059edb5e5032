package dev.anomalysdk.bench.harness;

import dev.anomalysdk.bench.predictions.PredictionEvaluator;
import dev.anomalysdk.bench.predictions.PredictionWriter;
import dev.anomalysdk.bench.predictions.ScoresCsv;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.data.DatasetReader;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A benchmark: fits and evaluates every detector on every category of a dataset, measures time, memory and
 * model size per stage, and writes {@code report.md}, a self-contained {@code report.html},
 * {@code results.csv} and {@code results.json} to its output directory.
 *
 * <pre>{@code
 * BenchmarkResult r = Benchmark.builder()
 *         .detector("cnn_dictionary", Map.of("image_size", "128"))
 *         .data(Path.of("/data/mvtec")).categories("bottle", "screw")
 *         .out(Path.of("target/benchmark"))
 *         .expect("image_auroc >= 0.9")
 *         .build().run();
 * r.assertExpectations();
 * }</pre>
 *
 * <p><b>Same numbers as {@code ad evaluate}.</b> Each fitted detector is saved, loaded back, and predicts the
 * category's test images into {@code OUT/work/DETECTOR/CATEGORY/predictions} with {@link PredictionWriter};
 * the metrics are those {@link PredictionEvaluator} computes from that folder.
 *
 * <p><b>Resumable.</b> Each finished (detector, category) pair is written atomically to
 * {@code OUT/runs/DETECTOR__CATEGORY.json} with a fingerprint of what determines it (SDK version, detector
 * name and effective configuration, dataset root, format and category, measurement settings). Running the
 * same benchmark again reuses finished pairs and runs only the others; a stored pair with another fingerprint
 * is an error unless {@link Builder#fresh(boolean)} moves earlier results aside (they are never deleted).
 *
 * <p>Instances are immutable; {@link #run} may be called again to resume.
 */
public final class Benchmark {
    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

    private final List<String> detectors;
    private final Map<String, Map<String, String>> settings;
    private final Path data;
    private final String format;
    private final List<String> categories;
    private final Path out;
    private final int latencyImages;
    private final int galleryCount;
    private final int curvePoints;
    private final List<Expectation> expectations;
    private final boolean fresh;

    private Benchmark(Builder b) {
        if (b.detectors.isEmpty()) {
            throw new IllegalArgumentException("A benchmark needs at least one detector");
        }
        this.data = Objects.requireNonNull(b.data, "data: the dataset root").toAbsolutePath().normalize();
        this.out = Objects.requireNonNull(b.out, "out: the report directory").toAbsolutePath().normalize();
        this.detectors = List.copyOf(b.detectors);
        this.settings = resolveSettings(detectors, b.settings);
        this.format = b.format;
        this.categories = List.copyOf(b.categories);
        this.latencyImages = b.latencyImages;
        this.galleryCount = b.galleryCount;
        this.curvePoints = b.curvePoints;
        this.expectations = List.copyOf(b.expectations);
        this.fresh = b.fresh;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the detector names, in order */
    public List<String> detectors() {
        return detectors;
    }

    /** @return each detector's settings as given (after resolving shared keys), without defaults */
    public Map<String, Map<String, String>> settings() {
        return settings;
    }

    /** @return the dataset root (absolute) */
    public Path data() {
        return data;
    }

    /** @return the dataset layout name, or {@code auto} */
    public String format() {
        return format;
    }

    /** @return the categories, or an empty list for all of them */
    public List<String> categories() {
        return categories;
    }

    /** @return the report directory (absolute) */
    public Path out() {
        return out;
    }

    /** @return the expectations checked by {@link BenchmarkResult#assertExpectations()} */
    public List<Expectation> expectations() {
        return expectations;
    }

    /** @return how many test images the per-image latency is measured on, at most */
    public int latencyImages() {
        return latencyImages;
    }

    /** Runs with progress written to the log; see {@link #run(ProgressListener)}. */
    public BenchmarkResult run() throws IOException {
        return run(ProgressListener.logging("benchmark"));
    }

    /**
     * Runs every pair not finished yet, then writes the reports.
     *
     * @param progress receives the pairs done ({@code benchmark}) and each pair's stages, prefixed with
     *     {@code [detector/category]}
     * @return all pairs' results, in category then detector order
     * @throws IOException naming the file or folder that cannot be read or written
     * @throws IllegalStateException when {@code OUT/runs} holds a pair computed with another configuration,
     *     or a pair fails (the message names it; finished pairs stay stored)
     */
    public BenchmarkResult run(ProgressListener progress) throws IOException {
        DatasetReader reader = format.equals("auto") ? DatasetReaders.detect(data) : DatasetReaders.byName(format);
        List<String> cats = categories.isEmpty() ? reader.categories(data) : categories;
        if (cats.isEmpty()) {
            throw new IOException("No categories found under " + data + " (format " + reader.name() + ")");
        }
        Map<String, Map<String, String>> effective = new LinkedHashMap<>();
        for (String d : detectors) {
            effective.put(d, Detectors.configBuilder(d).setAll(settings.get(d)).build().asStrings());
        }
        // Loads the engine's native libraries now, so that the first pair's fit time does not include it.
        Environment env = Environment.current();
        RunStore store = new RunStore(out.resolve("runs"));
        if (fresh) {
            store.setAside();
        }
        // Check every stored pair before running anything, so a mismatch fails fast.
        Map<String, PairResult> done = new HashMap<>();
        for (String c : cats) {
            for (String d : detectors) {
                String fp = fingerprint(reader.name(), d, effective.get(d), c);
                PairResult stored = store.read(d, c);
                if (stored == null) {
                    continue;
                }
                if (!stored.fingerprint().equals(fp)) {
                    throw new IllegalStateException(store.file(d, c) + " holds a result computed with another "
                            + "configuration (" + difference(stored.settings(), effective.get(d)) + "); use another "
                            + "report directory, or --fresh to set earlier results aside");
                }
                done.put(d + "/" + c, stored);
            }
        }
        int total = cats.size() * detectors.size();
        int finished = done.size();
        if (finished > 0) {
            LOG.info("Resuming: {} of {} (detector, category) pairs already finished in {}", finished, total,
                    store.directory());
        }
        progress.update("benchmark", finished, total);
        List<PairResult> results = new ArrayList<>();
        for (String c : cats) {
            DatasetSplit split = null;
            for (String d : detectors) {
                PairResult r = done.get(d + "/" + c);
                if (r == null) {
                    if (split == null) {
                        split = reader.read(data, c);
                    }
                    r = runPair(d, effective.get(d), split, fingerprint(reader.name(), d, effective.get(d), c),
                            progress);
                    store.write(r);
                    progress.update("benchmark", ++finished, total);
                }
                results.add(r);
            }
        }
        BenchmarkResult result = new BenchmarkResult(this, reader.name(), env, results);
        new ReportWriter(result).write();
        return result;
    }

    private PairResult runPair(String detector, Map<String, String> config, DatasetSplit split, String fingerprint,
            ProgressListener progress) throws IOException {
        String pair = detector + "/" + split.category();
        ProgressListener sub = (task, done, total) -> progress.update("[" + pair + "] " + task, done, total);
        try {
            return measure(detector, config, split, fingerprint, sub);
        } catch (IOException e) {
            throw new IOException(pair + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException(pair + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
    }

    private PairResult measure(String detector, Map<String, String> config, DatasetSplit split, String fingerprint,
            ProgressListener progress) throws IOException {
        if (split.test().isEmpty()) {
            throw new IOException("category '" + split.category() + "' has no test images");
        }
        Path work = out.resolve("work").resolve(RunStore.safe(detector)).resolve(RunStore.safe(split.category()));
        deleteRecursively(work);
        Path model = work.resolve("model");
        Path predictions = work.resolve("predictions");
        LOG.info("{}/{}: fitting on {} images", detector, split.category(), split.train().size());

        double fitSeconds;
        long fitHeap;
        long fitRss;
        String rssMethod;
        try (MemorySampler mem = MemorySampler.start("fit")) {
            long t0 = System.nanoTime();
            try (Detector d = Detectors.create(detector, config)) {
                d.fit(Detector.FitData.of(split.train(), split.validation()), progress);
                fitSeconds = (System.nanoTime() - t0) / 1e9;
                d.save(model);
            }
            fitHeap = mem.peakHeapBytes();
            fitRss = mem.peakRssBytes();
            rssMethod = mem.rssMethod();
        }
        long modelBytes = sizeOnDisk(model);

        double loadSeconds;
        PredictionWriter.Summary summary;
        double[] latencies;
        long predictHeap;
        long predictRss;
        try (MemorySampler mem = MemorySampler.start("predict")) {
            long t0 = System.nanoTime();
            try (Detector d = Detectors.load(model)) {
                loadSeconds = (System.nanoTime() - t0) / 1e9;
                summary = PredictionWriter.predictSamples(d, split.test(), predictions, progress);
                latencies = latencies(d, split.test(), progress);
            }
            predictHeap = mem.peakHeapBytes();
            predictRss = mem.peakRssBytes();
        }
        progress.update("evaluating", 0, 1);
        PredictionEvaluator.Evaluated eval = PredictionEvaluator.evaluateWithCurves(split, predictions, curvePoints);
        progress.update("evaluating", 1, 1);

        double[] sorted = latencies.clone();
        Arrays.sort(sorted);
        Performance perf = new Performance(fitSeconds, loadSeconds, percentile(sorted, 0.5) * 1e3,
                percentile(sorted, 0.95) * 1e3, sorted.length,
                summary.modelSeconds() > 0 ? summary.images() / summary.modelSeconds() : 0, fitHeap, predictHeap,
                fitRss, predictRss, rssMethod, modelBytes);
        return new PairResult(detector, split.category(), fingerprint, config, split.train().size(),
                split.test().size(), eval.report(), perf, eval.imageRoc(), eval.pixelRoc(), eval.pro(),
                gallery(split, predictions), out.relativize(predictions).toString().replace('\\', '/'),
                Instant.now().toString());
    }

    /** Per-image wall time of {@code predict} on one image, after one warm-up prediction, in seconds. */
    private double[] latencies(Detector d, List<Sample> test, ProgressListener progress) {
        int n = Math.min(latencyImages, test.size());
        d.predict(test.get(0).loadImage());
        double[] seconds = new double[n];
        for (int i = 0; i < n; i++) {
            ImageData image = test.get(i).loadImage();
            long t0 = System.nanoTime();
            d.predict(List.of(image));
            seconds[i] = (System.nanoTime() - t0) / 1e9;
            progress.update("measuring latency", i + 1, n);
        }
        return seconds;
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private List<PairResult.GalleryItem> gallery(DatasetSplit split, Path predictions) throws IOException {
        Map<String, ScoresCsv.Row> byId = new HashMap<>();
        for (ScoresCsv.Row r : ScoresCsv.read(predictions.resolve("scores.csv"))) {
            byId.put(r.path(), r);
        }
        List<PairResult.GalleryItem> items = new ArrayList<>();
        for (boolean falsePositive : new boolean[] {true, false}) {
            Comparator<Sample> byScore = Comparator.comparingDouble(s -> byId.get(s.id()).score());
            split.test().stream()
                    .filter(s -> s.anomalous() != falsePositive)
                    .sorted(falsePositive ? byScore.reversed() : byScore)
                    .limit(galleryCount)
                    .forEach(s -> {
                        ScoresCsv.Row r = byId.get(s.id());
                        Path overlay = predictions.resolve("overlays")
                                .resolve(PredictionWriter.withoutExtension(s.id()) + ".png");
                        items.add(new PairResult.GalleryItem(falsePositive, s.id(), r.score(), r.label() == 1,
                                out.relativize(overlay).toString().replace('\\', '/')));
                    });
        }
        return items;
    }

    /** SHA-256 over everything that determines a pair's result. */
    private String fingerprint(String readerName, String detector, Map<String, String> config, String category) {
        StringBuilder sb = new StringBuilder();
        sb.append("sdk=").append(BaseDetector.sdkVersion()).append('\n');
        sb.append("detector=").append(detector).append('\n');
        new TreeMap<>(config).forEach((k, v) -> sb.append("set.").append(k).append('=').append(v).append('\n'));
        sb.append("data=").append(data).append('\n');
        sb.append("format=").append(readerName).append('\n');
        sb.append("category=").append(category).append('\n');
        sb.append("latency_images=").append(latencyImages).append('\n');
        sb.append("gallery=").append(galleryCount).append('\n');
        sb.append("curve_points=").append(curvePoints).append('\n');
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String difference(Map<String, String> before, Map<String, String> now) {
        List<String> diffs = new ArrayList<>();
        Set<String> keys = new java.util.TreeSet<>(before.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            if (!Objects.equals(before.get(k), now.get(k))) {
                diffs.add(k + " " + before.get(k) + " -> " + now.get(k));
            }
        }
        return diffs.isEmpty() ? "dataset, SDK version or measurement settings differ"
                : "settings differ: " + String.join(", ", diffs);
    }

    /**
     * Resolves {@code --set} entries: {@code detector.key} applies to that detector (which must declare the
     * key), a plain {@code key} to every detector that declares it (at least one must); a detector-specific
     * value wins over a shared one.
     */
    static Map<String, Map<String, String>> resolveSettings(List<String> detectors, Map<String, String> raw) {
        Map<String, DetectorProvider> providers = new LinkedHashMap<>();
        for (String d : detectors) {
            if (providers.put(d, Detectors.provider(d)) != null) {
                throw new IllegalArgumentException("Detector '" + d + "' is listed twice");
            }
        }
        Map<String, Map<String, String>> shared = new LinkedHashMap<>();
        Map<String, Map<String, String>> specific = new LinkedHashMap<>();
        for (String d : detectors) {
            shared.put(d, new LinkedHashMap<>());
            specific.put(d, new LinkedHashMap<>());
        }
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            String prefix = dot < 0 ? null : key.substring(0, dot);
            if (prefix != null && providers.containsKey(prefix)) {
                String k = key.substring(dot + 1);
                if (!declares(providers.get(prefix), k)) {
                    throw new IllegalArgumentException("Detector '" + prefix + "' has no parameter '" + k + "' (from "
                            + key + "); its parameters: " + keys(providers.get(prefix)));
                }
                specific.get(prefix).put(k, e.getValue());
                continue;
            }
            if (prefix != null && Detectors.names().contains(prefix)) {
                throw new IllegalArgumentException("Setting '" + key + "' is for detector '" + prefix
                        + "', which is not in this benchmark (detectors: " + String.join(", ", detectors) + ")");
            }
            boolean any = false;
            for (String d : detectors) {
                if (declares(providers.get(d), key)) {
                    shared.get(d).put(key, e.getValue());
                    any = true;
                }
            }
            if (!any) {
                StringBuilder known = new StringBuilder();
                for (String d : detectors) {
                    known.append(known.length() == 0 ? "" : "; ").append(d).append(": ").append(keys(providers.get(d)));
                }
                throw new IllegalArgumentException("Unknown parameter '" + key + "': no detector in the benchmark ("
                        + String.join(", ", detectors) + ") declares it; known parameters: " + known);
            }
        }
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String d : detectors) {
            Map<String, String> s = new LinkedHashMap<>(shared.get(d));
            s.putAll(specific.get(d));
            try {
                Detectors.configBuilder(d).setAll(s).build();
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("Detector '" + d + "': " + ex.getMessage(), ex);
            }
            out.put(d, Map.copyOf(s));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static boolean declares(DetectorProvider p, String key) {
        return p.params().stream().anyMatch(q -> q.key().equals(key));
    }

    private static String keys(DetectorProvider p) {
        return String.join(", ", p.params().stream().map(Param::key).toList());
    }

    private static long sizeOnDisk(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Collects a benchmark's definition; {@link #build()} validates it. */
    public static final class Builder {
        private final List<String> detectors = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Path data;
        private String format = "auto";
        private final List<String> categories = new ArrayList<>();
        private Path out;
        private int latencyImages = 50;
        private int galleryCount = 4;
        private int curvePoints = 200;
        private final List<Expectation> expectations = new ArrayList<>();
        private boolean fresh;

        private Builder() {}

        /** Adds a detector by registered name, with its default settings. */
        public Builder detector(String name) {
            return detector(name, Map.of());
        }

        /** Adds a detector by registered name, with settings of its own ({@code key -> value}). */
        public Builder detector(String name, Map<String, String> detectorSettings) {
            detectors.add(Objects.requireNonNull(name, "detector name"));
            detectorSettings.forEach((k, v) -> settings.put(name + "." + k, v));
            return this;
        }

        /** Adds every registered detector ({@link Detectors#names()}). */
        public Builder allDetectors() {
            Detectors.names().forEach(this::detector);
            return this;
        }

        /**
         * Sets a parameter: {@code detector.key} for one detector, or a plain {@code key} for every detector
         * that declares it. Validated by {@link #build()}.
         */
        public Builder set(String key, String value) {
            settings.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** Sets the dataset root folder. */
        public Builder data(Path root) {
            this.data = root;
            return this;
        }

        /** Sets the dataset layout ({@code auto} by default: guessed from the folders). */
        public Builder format(String name) {
            DatasetReaders.byName(name.equals("auto") ? "mvtec" : name);
            this.format = name;
            return this;
        }

        /** Restricts the benchmark to these categories (all of the dataset's when none is given). */
        public Builder categories(String... names) {
            return categories(List.of(names));
        }

        /** Restricts the benchmark to these categories (all of the dataset's when the list is empty). */
        public Builder categories(List<String> names) {
            categories.clear();
            categories.addAll(names);
            return this;
        }

        /** Sets the report directory. */
        public Builder out(Path directory) {
            this.out = directory;
            return this;
        }

        /** How many test images to measure the per-image latency on, at most (default 50). */
        public Builder latencyImages(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("latencyImages must be at least 1, got " + n);
            }
            this.latencyImages = n;
            return this;
        }

        /** How many worst false positives and false negatives to show per pair (default 4). */
        public Builder galleryCount(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("galleryCount must not be negative, got " + n);
            }
            this.galleryCount = n;
            return this;
        }

        /** About how many points to keep per pixel curve in the stored results (default 200). */
        public Builder curvePoints(int n) {
            if (n < 2) {
                throw new IllegalArgumentException("curvePoints must be at least 2, got " + n);
            }
            this.curvePoints = n;
            return this;
        }

        /** Adds an expectation every pair must meet. */
        public Builder expect(Expectation e) {
            expectations.add(Objects.requireNonNull(e, "expectation"));
            return this;
        }

        /** Adds an expectation from text, e.g. {@code image_auroc >= 0.95}; see {@link Expectation#parse}. */
        public Builder expect(String text) {
            return expect(Expectation.parse(text));
        }

        /**
         * When true, earlier results in {@code OUT/runs} are moved to {@code OUT/runs.previous-TIMESTAMP} and
         * every pair runs again.
         */
        public Builder fresh(boolean value) {
            this.fresh = value;
            return this;
        }

        /**
         * @return the benchmark
         * @throws IllegalArgumentException naming an unknown detector, an unknown parameter (and the detectors
         *     it was looked up in), or an invalid value
         * @throws NullPointerException when data or out is missing
         */
        public Benchmark build() {
            return new Benchmark(this);
        }
    }
}
