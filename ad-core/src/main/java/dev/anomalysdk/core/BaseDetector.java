package dev.anomalysdk.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part every detector shares, so that a method implements only what is its own: fitting the model,
 * scoring a batch at network resolution, and saving/loading its state.
 *
 * <p>This class does the rest once: batching, mapping maps back to each image's resolution through the
 * {@link Preprocessing}, calibration of thresholds and normalization after fit (holding out part of the
 * training images when no validation set is given), the model manifest (configuration, pre-processing,
 * calibration, provenance) and atomic saving.
 *
 * <p>Thread safety: {@link #predict(List)} is synchronized, so a detector may be shared between threads;
 * calls are then served one at a time. For parallel throughput, load one detector per thread.
 */
public abstract class BaseDetector implements Detector {
    private static final Logger LOG = LoggerFactory.getLogger(BaseDetector.class);
    /** Fraction of the training images held out for calibration when no validation set is given. */
    public static final double HOLDOUT_FRACTION = 0.1;
    /** Fewest training images for which a hold-out is taken; below it, calibration uses training images. */
    public static final int MIN_IMAGES_FOR_HOLDOUT = 10;

    private final String name;
    private final Config config;
    private final NDManager manager;
    private Preprocessing preprocessing;
    private Calibration calibration;
    private ObjectNode provenance;
    private boolean fitted;

    /**
     * @param name the registered name
     * @param config the validated configuration
     * @param preprocessing the input pre-processing
     */
    protected BaseDetector(String name, Config config, Preprocessing preprocessing) {
        DjlEnvironment.init();
        this.name = name;
        this.config = config;
        this.preprocessing = preprocessing;
        this.manager = NDManager.newBaseManager();
    }

    /**
     * One image's raw output at network resolution, before the core's post-processing (smoothing with
     * {@code map_sigma}, resizing to the image). Made by {@link #of} or {@link #mapMax}.
     *
     * @param score the method's own image score (NaN with {@code scoreIsMapMax})
     * @param map raw map at network input resolution (or any resolution with the same aspect; it is resized)
     * @param scoreIsMapMax whether the image score is the maximum of the post-processed map
     */
    public record RawOutput(float score, AnomalyMap map, boolean scoreIsMapMax) {
        /** @return a raw map and the method's own image score */
        public static RawOutput of(float score, AnomalyMap map) {
            return new RawOutput(score, map, false);
        }

        /** @return a raw map whose maximum after smoothing is the image score */
        public static RawOutput mapMax(AnomalyMap map) {
            return new RawOutput(Float.NaN, map, true);
        }
    }

    /**
     * A batch of images that pre-process to the same size, as {@link #scoreBatch(Batch)} receives it: the
     * images, and their pre-processed tensor, made by the core from {@link #preprocessing()} in a scope that
     * closes when the call returns.
     */
    public static final class Batch {
        private final List<ImageData> images;
        private final Preprocessing preprocessing;
        private final NDManager scope;
        private NDArray tensor;

        Batch(List<ImageData> images, Preprocessing preprocessing, NDManager scope) {
            this.images = images;
            this.preprocessing = preprocessing;
            this.scope = scope;
        }

        /** @return the original images, in order */
        public List<ImageData> images() {
            return images;
        }

        /** @return {@code N x C x H x W} float32 on the CPU, normalized; made on first use, owned by the scope */
        public NDArray tensor() {
            if (tensor == null) {
                tensor = preprocessing.toTensor(images, scope);
            }
            return tensor;
        }

        /** @return the scope of this call: arrays created in it are freed when {@code scoreBatch} returns */
        public NDManager manager() {
            return scope;
        }

        /** @return the network input size {@code {height, width}} */
        public int[] networkSize() {
            return preprocessing.outputSize(images.get(0).height(), images.get(0).width());
        }
    }

    /**
     * Fits the method on normal images.
     *
     * @param train the training images (calibration images already removed)
     * @param validation labelled validation images, possibly empty (for methods that select models)
     * @param progress progress sink
     */
    protected abstract void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress);

    /**
     * Scores a batch of images that pre-process to the same size.
     *
     * @param batch the images and their pre-processed tensor
     * @return one raw score and map per image, maps at network input resolution (or any resolution with the
     *     same aspect; they are resized)
     */
    protected abstract List<RawOutput> scoreBatch(Batch batch);

    /** Writes the method's state (tensors, blobs, fields under {@code manifest().get("state")}). */
    protected abstract void saveModel(ModelWriter writer, ObjectNode state) throws IOException;

    /** Reads back what {@link #saveModel} wrote. */
    protected abstract void loadModel(ModelReader reader, JsonNode state) throws IOException;

    /** @return how many images {@link #scoreBatch} receives at most: the shared {@code batch_size}, or 8 */
    protected int inferenceBatchSize() {
        return config.find(SharedParams.BATCH_SIZE.key(), Integer.class).orElse(8);
    }

    /** @return the seed for any randomness of the base class (hold-out choice): the shared {@code seed}, or 0 */
    protected long seed() {
        return config.find(SharedParams.SEED.key(), Long.class).orElse(0L);
    }

    /**
     * The core's map post-processing at network resolution: Gaussian smoothing with the shared
     * {@code map_sigma} when the detector declares it (each method's default is its official one).
     */
    private AnomalyMap smooth(AnomalyMap map) {
        double sigma = config.find(SharedParams.MAP_SIGMA.key(), Double.class).orElse(0.0);
        return sigma > 0 ? map.gaussianBlur(sigma) : map;
    }

    /** @return facts recorded in the model's provenance, e.g. the backbone identity; empty by default */
    protected void describe(ObjectNode provenance) { }

    /** @return the detector's root manager; create a sub-manager per batch for temporary arrays */
    protected NDManager manager() {
        return manager;
    }

    /** Replaces the pre-processing (for methods that derive it from a backbone). */
    protected void setPreprocessing(Preprocessing preprocessing) {
        this.preprocessing = preprocessing;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    @Override
    public boolean isFitted() {
        return fitted;
    }

    @Override
    public Calibration calibration() {
        requireFitted();
        return calibration;
    }

    @Override
    public synchronized void fit(FitData data, ProgressListener progress) {
        long start = System.nanoTime();
        List<Sample> train = new ArrayList<>(data.train());
        List<Sample> calibrationSet = data.validation();
        if (calibrationSet.isEmpty()) {
            if (train.size() >= MIN_IMAGES_FOR_HOLDOUT) {
                Collections.shuffle(train, new Random(seed()));
                int k = (int) Math.max(1, Math.round(HOLDOUT_FRACTION * train.size()));
                calibrationSet = List.copyOf(train.subList(0, k));
                train = new ArrayList<>(train.subList(k, train.size()));
                train.sort((a, b) -> a.id().compareTo(b.id()));
                LOG.info("{}: no validation images; holding out {} of {} training images for calibration",
                        name, k, data.train().size());
            } else {
                calibrationSet = train;
                LOG.warn("{}: only {} training images and no validation set; calibrating on training images "
                        + "(thresholds will be optimistic)", name, train.size());
            }
        }
        LOG.info("{}: fitting on {} images", name, train.size());
        fitModel(train, data.validation(), progress);
        fitted = true;
        calibrate(calibrationSet, progress);
        provenance = provenance(train.size(), data.validation().size(), (System.nanoTime() - start) / 1e9);
        LOG.info("{}: fitted in {} s; threshold {} ({})", name,
                String.format("%.1f", (System.nanoTime() - start) / 1e9), calibration.imageThreshold(),
                calibration.rule());
    }

    private void calibrate(List<Sample> samples, ProgressListener progress) {
        float[] scores = new float[samples.size()];
        boolean[] labels = new boolean[samples.size()];
        List<AnomalyMap> maps = new ArrayList<>();
        List<Mask> masks = new ArrayList<>();
        int bs = inferenceBatchSize();
        for (int i = 0; i < samples.size(); i += bs) {
            List<Sample> chunk = samples.subList(i, Math.min(samples.size(), i + bs));
            List<ImageData> images = chunk.stream().map(Sample::loadImage).toList();
            List<AnomalyResult> raw = predictRaw(images);
            for (int j = 0; j < chunk.size(); j++) {
                Sample s = chunk.get(j);
                scores[i + j] = raw.get(j).score();
                labels[i + j] = s.anomalous();
                maps.add(raw.get(j).map());
                masks.add(s.hasMask() ? s.loadMask(images.get(j).height(), images.get(j).width()) : null);
            }
            progress.update("calibrating", Math.min(samples.size(), i + bs), samples.size());
        }
        calibration = Calibration.learn(scores, labels, maps, masks);
    }

    @Override
    public synchronized List<AnomalyResult> predict(List<ImageData> images) {
        requireFitted();
        List<AnomalyResult> raw = predictRaw(images);
        List<AnomalyResult> out = new ArrayList<>(raw.size());
        for (AnomalyResult r : raw) {
            out.add(calibration.apply(r.score(), r.map()));
        }
        return out;
    }

    private List<AnomalyResult> predictRaw(List<ImageData> images) {
        List<AnomalyResult> out = new ArrayList<>(images.size());
        int bs = inferenceBatchSize();
        int i = 0;
        while (i < images.size()) {
            // A batch holds consecutive images that pre-process to the same size.
            int[] size = preprocessing.outputSize(images.get(i).height(), images.get(i).width());
            int j = i + 1;
            while (j < images.size() && j - i < bs
                    && java.util.Arrays.equals(size, preprocessing.outputSize(images.get(j).height(),
                            images.get(j).width()))) {
                j++;
            }
            List<ImageData> batch = images.subList(i, j);
            List<RawOutput> raw;
            try (NDManager scope = manager.newSubManager()) {
                raw = scoreBatch(new Batch(batch, preprocessing, scope));
            }
            if (raw.size() != batch.size()) {
                throw new IllegalStateException(name + " returned " + raw.size() + " results for " + batch.size()
                        + " images");
            }
            for (int k = 0; k < batch.size(); k++) {
                ImageData img = batch.get(k);
                RawOutput r = raw.get(k);
                AnomalyMap map = smooth(r.map());
                float score = r.scoreIsMapMax() ? map.max() : r.score();
                if (!Float.isFinite(score)) {
                    throw new IllegalStateException(name + " produced a non-finite score for " + img.source());
                }
                out.add(AnomalyResult.raw(score, preprocessing.toImage(map, img.height(), img.width())));
            }
            i = j;
        }
        return out;
    }

    @Override
    public synchronized void save(Path directory) throws IOException {
        requireFitted();
        try (ModelWriter w = new ModelWriter(directory)) {
            ObjectNode m = w.manifest();
            m.put("detector", name);
            m.put("sdk_version", sdkVersion());
            ObjectNode cfg = m.putObject("config");
            config.asStrings().forEach(cfg::put);
            writePreprocessing(m.putObject("preprocessing"));
            writeCalibration(m.putObject("calibration"));
            m.set("provenance", provenance);
            saveModel(w, m.putObject("state"));
            w.commit();
        }
    }

    /**
     * Restores a saved detector into this freshly constructed one. Called by {@link DetectorProvider#load}.
     */
    public final void restore(ModelReader reader) throws IOException {
        ObjectNode m = reader.manifest();
        try {
            preprocessing = readPreprocessing(m.path("preprocessing"));
            calibration = readCalibration(m.path("calibration"));
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + reader.directory() + " is invalid: " + e.getMessage(), e);
        }
        provenance = m.path("provenance") instanceof ObjectNode p ? p : m.objectNode();
        loadModel(reader, m.path("state"));
        fitted = true;
    }

    /** @return what the model records about its making (detector, version, data sizes, time) */
    public ObjectNode provenance() {
        requireFitted();
        return provenance.deepCopy();
    }

    private ObjectNode provenance(int trainImages, int validationImages, double seconds) {
        ObjectNode p = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        p.put("detector", name);
        p.put("sdk_version", sdkVersion());
        p.put("train_images", trainImages);
        p.put("validation_images", validationImages);
        p.put("fit_seconds", seconds);
        p.put("fitted_at", Instant.now().toString());
        p.put("java", System.getProperty("java.version"));
        describe(p);
        return p;
    }

    private void writePreprocessing(ObjectNode n) {
        n.put("channels", preprocessing.channels());
        n.put("resize_mode", preprocessing.resizeMode().name());
        n.put("resize", preprocessing.resize());
        n.put("crop_size", preprocessing.cropSize());
        ArrayNode mean = n.putArray("mean");
        for (float v : preprocessing.mean()) {
            mean.add(v);
        }
        ArrayNode std = n.putArray("std");
        for (float v : preprocessing.std()) {
            std.add(v);
        }
    }

    private static Preprocessing readPreprocessing(JsonNode n) {
        return new Preprocessing(n.path("channels").asInt(), Preprocessing.ResizeMode.valueOf(
                n.path("resize_mode").asText()), n.path("resize").asInt(), n.path("crop_size").asInt(),
                floats(n.path("mean")), floats(n.path("std")));
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private void writeCalibration(ObjectNode n) {
        n.put("image_threshold", calibration.imageThreshold());
        n.put("image_min", calibration.imageMin());
        n.put("image_max", calibration.imageMax());
        n.put("pixel_threshold", calibration.pixelThreshold());
        n.put("pixel_min", calibration.pixelMin());
        n.put("pixel_max", calibration.pixelMax());
        n.put("rule", calibration.rule().name());
    }

    private static Calibration readCalibration(JsonNode n) {
        return new Calibration((float) n.path("image_threshold").asDouble(Double.NaN),
                (float) n.path("image_min").asDouble(Double.NaN), (float) n.path("image_max").asDouble(Double.NaN),
                (float) n.path("pixel_threshold").asDouble(Double.NaN),
                (float) n.path("pixel_min").asDouble(Double.NaN), (float) n.path("pixel_max").asDouble(Double.NaN),
                Calibration.Rule.valueOf(n.path("rule").asText()));
    }

    private void requireFitted() {
        if (!fitted) {
            throw new IllegalStateException("Detector '" + name + "' is not fitted: call fit() or load a saved model");
        }
    }

    /** @return this SDK's version */
    public static String sdkVersion() {
        try (InputStream in = BaseDetector.class.getResourceAsStream("/dev/anomalysdk/core/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
