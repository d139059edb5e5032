package dev.anomalysdk.reconstruction.nsa;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.synthesis.AnomalySynthesizer;
import dev.anomalysdk.core.synthesis.SyntheticAnomaly;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.core.training.TrainingSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NSA: Natural Synthetic Anomalies (Schlüter, Tan, Hou, Bergholz, Kainz, "Natural Synthetic Anomalies for
 * Self-Supervised Anomaly Detection and Localization", ECCV 2022). A small segmentation network learns, from
 * scratch and from the user's normal images only, to find synthetic defects made on the fly: patches
 * transplanted between normal images with Poisson blending (the paper's core idea), plus generic procedural
 * defects (blobs, thin lines, scratch clusters, notches, smooth regions), with soft labels that follow how
 * visible each change is ({@link AnomalySynthesizer}). No pretrained weights and no outside data are used,
 * so it is the SDK's offline default.
 *
 * <p><b>Network and loss.</b> A residual U-Net ({@link ResidualUNet}, widths 16-32-64-128-128, about
 * 1.2 M parameters), one input channel for grayscale data (chosen from the training images: all gray, or RGB
 * with equal channels, means one channel), trained with BCE + soft Dice ({@link SegmentationLoss}), Adam
 * 1e-3 with cosine decay, for {@code epochs} or {@code max_minutes}, whichever ends first.
 *
 * <p><b>Resolution.</b> Images are scaled so their shorter side is {@code image_size} (aspect kept) and
 * normalized by the training images' mean and standard deviation (the model's pre-processing). Training
 * keeps its own 8-bit copies of the scaled images (bounded memory) and draws random {@code crop_size} crops
 * from them, on which the synthetic defects are made before normalization (native detail, many crops per
 * image); inference receives the core's pre-processed batch and runs the fully-convolutional network on the
 * whole scaled image (edge-padded to a multiple of 16), so a thin defect is seen at the same scale as in
 * training and the map covers the whole image.
 *
 * <p><b>Scores.</b> The map is the per-pixel defect probability, Gaussian-smoothed ({@code map_sigma}, by the
 * core's post-processing);
 * the image score is the maximum of that map average-pooled over {@code score_pool} pixels (DRAEM pools the
 * raw map over 21; smoothing plus a 9-pixel pool kept small defects visible better on DeepPCB).
 *
 * <p><b>Model selection.</b> Up to {@code validation_images} training images are set aside; fixed synthetic
 * anomalies on crops of them form a validation set, and the parameters with the best mean of image AUROC and
 * pixel average precision are kept. Test images are never used.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class NsaDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(NsaDetector.class);
    private static final double DICE_WEIGHT = 1.0;

    /** The registered name. */
    public static final String NAME = "nsa";

    private final NsaOptions cfg;
    private Model model;
    private ResidualUNet network;
    private ObjectNode trainingSummary;

    NsaDetector(Config config) {
        this(config, NsaOptions.of(config));
    }

    private NsaDetector(Config config, NsaOptions options) {
        // Replaced in fitModel by the training images' channels and statistics (restored with a saved model).
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers NSA as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "Natural Synthetic Anomalies: a small U-Net trained from scratch on your normal images with "
                    + "synthetic defects (no pretrained weights; offline default)", NsaOptions.PARAMS, NsaDetector::new);
        }
    }

    @Override
    protected int inferenceBatchSize() {
        return Math.min(cfg.batchSize(), 4);
    }

    /** An image scaled to the network's resolution, kept as 8-bit to bound memory. */
    private record Scaled(byte[] data, int channels, int height, int width) {
        static Scaled of(float[] pixels, int channels, int height, int width) {
            byte[] b = new byte[pixels.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) Math.round(Math.max(0f, Math.min(1f, pixels[i])) * 255f);
            }
            return new Scaled(b, channels, height, width);
        }

        ImageData crop(int top, int left, int size) {
            float[] out = new float[channels * size * size];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < size; y++) {
                    int src = (c * height + top + y) * width + left;
                    int dst = (c * size + y) * size;
                    for (int x = 0; x < size; x++) {
                        out[dst + x] = (data[src + x] & 0xFF) / 255f;
                    }
                }
            }
            return new ImageData(channels, size, size, out, "crop");
        }

        ImageData randomCrop(int size, Random random) {
            return crop(random.nextInt(height - size + 1), random.nextInt(width - size + 1), size);
        }
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        // One pass scales every image to one channel and notes whether all are gray; colour data needs a second.
        boolean[] gray = new boolean[train.size()];
        List<Scaled> images = scaleAll(train, unitPreprocessing(1), gray, progress);
        boolean allGray = true;
        for (boolean g : gray) {
            allGray &= g;
        }
        if (!allGray) {
            images = scaleAll(train, unitPreprocessing(3), gray, progress);
        }
        int channels = allGray ? 1 : 3;
        float[][] stats = meanStd(images);
        setPreprocessing(new Preprocessing(channels, Preprocessing.ResizeMode.SHORTER_SIDE, cfg.imageSize(), 0,
                stats[0], stats[1]));
        LOG.info("nsa: {} training images, {} channel(s)", images.size(), channels);
        int crop = cfg.cropSize();
        for (int i = 0; i < images.size(); i++) {
            Scaled s = images.get(i);
            if (s.height() < crop || s.width() < crop) {
                throw new IllegalArgumentException("Training image " + train.get(i) + " scales to " + s.width() + "x"
                        + s.height() + ", smaller than crop_size " + crop + "; lower crop_size");
            }
        }
        // Split off the model-selection images (synthetic anomalies on them form the validation set).
        List<Scaled> fitImages = new ArrayList<>(images);
        List<Scaled> selectImages = new ArrayList<>();
        if (cfg.validationImages() > 0) {
            if (images.size() >= 4) {
                Collections.shuffle(fitImages, new Random(cfg.seed() + 17));
                int k = Math.min(cfg.validationImages(), Math.max(2, images.size() / 8));
                selectImages.addAll(fitImages.subList(0, k));
                fitImages = new ArrayList<>(fitImages.subList(k, fitImages.size()));
            } else {
                selectImages.addAll(images);
            }
        }
        AnomalySynthesizer synthesizer = AnomalySynthesizer.nsa(cfg.patchMin(), cfg.patchMax(), cfg.blending(),
                cfg.ownPalette());
        ValidationSet vset = selectImages.isEmpty() ? null
                : ValidationSet.make(selectImages, fitImages, synthesizer, crop, cfg.validationCrops(), cfg.seed());

        closeModel();
        model = Model.newInstance("nsa", DjlEnvironment.device(cfg.device()));
        network = new ResidualUNet(cfg.stemStride(), cfg.widthArray());
        model.setBlock(network);
        float[] mean = stats[0];
        float[] std = stats[1];
        List<Scaled> pool = fitImages;
        int bs = cfg.batchSize();
        TrainingLoop.Task task = new TrainingLoop.Task() {
            @Override
            public int stepsPerEpoch() {
                return Math.max(1, (pool.size() + bs - 1) / bs);
            }

            @Override
            public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
                float[] x = new float[bs * channels * crop * crop];
                float[] y = new float[bs * crop * crop];
                for (int b = 0; b < bs; b++) {
                    ImageData target = pool.get(random.nextInt(pool.size())).randomCrop(crop, random);
                    ImageData source = pool.get(random.nextInt(pool.size())).randomCrop(crop, random);
                    SyntheticAnomaly s = synthesizer.synthesize(target, source, random);
                    normalizeInto(s.image().pixelsView(), channels, crop * crop, mean, std, x, b * channels * crop * crop);
                    System.arraycopy(s.mask(), 0, y, b * crop * crop, crop * crop);
                }
                return new TrainingLoop.Batch(new NDList(scope.create(x, new Shape(bs, channels, crop, crop))),
                        new NDList(scope.create(y, new Shape(bs, 1, crop, crop))));
            }

            @Override
            public NDArray loss(NDList predictions, NDList labels) {
                return SegmentationLoss.bceDice(predictions.singletonOrThrow(), labels.singletonOrThrow(), DICE_WEIGHT);
            }
        };
        TrainingSchedule schedule = TrainingSchedule.adamCosine(cfg.epochs(), cfg.learningRate(), cfg.seed())
                .withMaxMinutes(cfg.maxMinutes());
        TrainingLoop.Validation select = vset == null ? null : net -> vset.score(net, model.getNDManager(), mean, std,
                cfg.mapSigma(), cfg.scorePool());
        LOG.info("nsa: {} channel(s), {} training / {} model-selection images at shorter side {}, crops {}", channels,
                pool.size(), selectImages.size(), cfg.imageSize(), crop);
        TrainingLoop.Result r = TrainingLoop.fit(model, new Shape[] {new Shape(1, channels, crop, crop)}, schedule,
                TrainingControl.from(config()), task, select, progress);
        trainingSummary = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        trainingSummary.put("epochs", r.epochs().size());
        trainingSummary.put("steps", r.steps());
        trainingSummary.put("seconds", r.seconds());
        trainingSummary.put("best_epoch", r.bestEpoch());
        trainingSummary.put("validation_score", r.bestScore());
        trainingSummary.put("first_loss", r.firstLoss());
        trainingSummary.put("last_loss", r.lastLoss());
        LOG.info("nsa: trained {} parameters for {} epochs ({} steps) in {} s; kept epoch {}",
                String.format(Locale.ROOT, "%,d", parameterCount()), r.epochs().size(), r.steps(),
                String.format(Locale.ROOT, "%.0f", r.seconds()), r.bestEpoch());
    }

    private long parameterCount() {
        return network.getParameters().values().stream().filter(p -> p.getArray() != null)
                .mapToLong(p -> p.getArray().getShape().size()).sum();
    }

    private Preprocessing unitPreprocessing(int channels) {
        return new Preprocessing(channels, Preprocessing.ResizeMode.SHORTER_SIDE, cfg.imageSize(), 0, zeros(channels),
                ones(channels));
    }

    static boolean isGray(ImageData img) {
        if (img.channels() == 1) {
            return true;
        }
        float[] p = img.pixelsView();
        int plane = img.height() * img.width();
        for (int i = 0; i < plane; i++) {
            if (p[i] != p[plane + i] || p[i] != p[2 * plane + i]) {
                return false;
            }
        }
        return true;
    }

    private static List<Scaled> scaleAll(List<Sample> train, Preprocessing unit, boolean[] gray,
            ProgressListener progress) {
        AtomicInteger done = new AtomicInteger();
        return IntStream.range(0, train.size()).parallel().mapToObj(i -> {
            ImageData img = train.get(i).loadImage();
            gray[i] = isGray(img);
            int[] size = unit.outputSize(img.height(), img.width());
            Scaled s = Scaled.of(unit.apply(img), unit.channels(), size[0], size[1]);
            progress.update("loading images", done.incrementAndGet(), train.size());
            return s;
        }).toList();
    }

    private static float[][] meanStd(List<Scaled> images) {
        int channels = images.get(0).channels();
        double[] sum = new double[channels];
        double[] sq = new double[channels];
        long[] n = new long[channels];
        for (Scaled s : images) {
            int plane = s.height() * s.width();
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < plane; i++) {
                    double v = (s.data()[c * plane + i] & 0xFF) / 255.0;
                    sum[c] += v;
                    sq[c] += v * v;
                }
                n[c] += plane;
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / n[c];
            mean[c] = (float) m;
            std[c] = (float) Math.max(0.02, Math.sqrt(Math.max(0, sq[c] / n[c] - m * m)));
        }
        return new float[][] {mean, std};
    }

    static void normalizeInto(float[] pixels, int channels, int plane, float[] mean, float[] std, float[] out, int offset) {
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < plane; i++) {
                out[offset + c * plane + i] = (pixels[c * plane + i] - mean[c]) / std[c];
            }
        }
    }

    private static float[] zeros(int n) {
        return new float[n];
    }

    private static float[] ones(int n) {
        float[] o = new float[n];
        Arrays.fill(o, 1f);
        return o;
    }

    /** Fixed synthetic anomalies on crops of the model-selection images. */
    private record ValidationSet(float[][] crops, float[][] masks, boolean[] anomalous, boolean[] useForImage,
            int channels, int size) {

        static ValidationSet make(List<Scaled> images, List<Scaled> sources, AnomalySynthesizer synthesizer, int size,
                int perImage, long seed) {
            Random random = new Random(seed * 31 + 7);
            List<Scaled> from = sources.isEmpty() ? images : sources;
            // At least 16 crops; every other crop carries a synthetic anomaly.
            perImage = Math.max(perImage, (16 + images.size() - 1) / images.size());
            int n = images.size() * perImage;
            float[][] crops = new float[n][];
            float[][] masks = new float[n][];
            boolean[] anomalous = new boolean[n];
            boolean[] use = new boolean[n];
            int k = 0;
            for (Scaled img : images) {
                for (int j = 0; j < perImage; j++) {
                    ImageData target = img.randomCrop(size, random);
                    ImageData source = from.get(random.nextInt(from.size())).randomCrop(size, random);
                    SyntheticAnomaly s = k % 2 == 0
                            ? new SyntheticAnomaly(target, new float[size * size], SyntheticAnomaly.CLEAN, 0)
                            : synthesizer.synthesizeAnomaly(target, source, random);
                    crops[k] = s.image().pixels();
                    masks[k] = s.mask();
                    anomalous[k] = s.visibility() >= 0.5f;
                    use[k] = s.isClean() || anomalous[k];
                    k++;
                }
            }
            return new ValidationSet(crops, masks, anomalous, use, images.get(0).channels(), size);
        }

        /** Mean of image AUROC (pooled-max score) and pixel average precision (label >= 0.5 positive). */
        double score(TrainingLoop.Forward net, NDManager parent, float[] mean, float[] std, double sigma, int pool) {
            int plane = size * size;
            float[] scores = new float[crops.length];
            float[] pixelScores = new float[crops.length * plane];
            boolean[] pixelLabels = new boolean[crops.length * plane];
            int bs = 16;
            for (int i = 0; i < crops.length; i += bs) {
                int m = Math.min(bs, crops.length - i);
                float[] x = new float[m * channels * plane];
                for (int b = 0; b < m; b++) {
                    normalizeInto(crops[i + b], channels, plane, mean, std, x, b * channels * plane);
                }
                try (NDManager scope = parent.newSubManager()) {
                    NDArray out = net.predict(new NDList(scope.create(x, new Shape(m, channels, size, size))))
                            .singletonOrThrow();
                    float[] prob = Activation.sigmoid(out).toFloatArray();
                    for (int b = 0; b < m; b++) {
                        float[] p = Arrays.copyOfRange(prob, b * plane, (b + 1) * plane);
                        scores[i + b] = imageScore(smoothed(new AnomalyMap(size, size, p), sigma), pool);
                        System.arraycopy(p, 0, pixelScores, (i + b) * plane, plane);
                        for (int q = 0; q < plane; q++) {
                            pixelLabels[(i + b) * plane + q] = masks[i + b][q] >= 0.5f;
                        }
                    }
                }
            }
            int used = 0;
            for (boolean u : useForImage) {
                used += u ? 1 : 0;
            }
            float[] s = new float[used];
            boolean[] l = new boolean[used];
            int k = 0;
            for (int i = 0; i < crops.length; i++) {
                if (useForImage[i]) {
                    s[k] = scores[i];
                    l[k++] = anomalous[i];
                }
            }
            double image = hasBoth(l) ? BinaryMetrics.auroc(s, l) : 0.5;
            double pixel = hasBoth(pixelLabels) ? BinaryMetrics.averagePrecision(pixelScores, pixelLabels) : 0;
            return 0.5 * (image + pixel);
        }

        private static boolean hasBoth(boolean[] labels) {
            boolean pos = false;
            boolean neg = false;
            for (boolean b : labels) {
                pos |= b;
                neg |= !b;
            }
            return pos && neg;
        }
    }

    /** The output map: the probability map smoothed with a Gaussian (none when sigma is 0). */
    static AnomalyMap smoothed(AnomalyMap probability, double sigma) {
        return sigma > 0 ? probability.gaussianBlur(sigma) : probability;
    }

    /** The image score: the maximum of the smoothed map average-pooled over {@code pool} pixels. */
    static float imageScore(AnomalyMap smoothed, int pool) {
        return pool > 1 ? smoothed.averagePool(pool).max() : smoothed.max();
    }

    /**
     * The whole scaled image runs through the network, edge-padded to a multiple of the U-Net's size step; the
     * map is the defect probability (the core smooths it with {@code map_sigma}). The image score needs the
     * smoothed map pooled over {@code score_pool}, so it is computed here from the same smoothing.
     */
    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        int[] size = batch.networkSize();
        int h = size[0];
        int w = size[1];
        NDArray input = edgePadded(batch.tensor(), network.multiple());
        NDArray onDevice = input.toDevice(model.getNDManager().getDevice(), false);
        NDArray logits = network.forward(new ParameterStore(batch.manager(), false), new NDList(onDevice), false)
                .singletonOrThrow();
        float[] prob = Activation.sigmoid(logits).get(":, 0, :" + h + ", :" + w).toFloatArray();
        int plane = h * w;
        List<RawOutput> out = new ArrayList<>(batch.images().size());
        for (int b = 0; b < batch.images().size(); b++) {
            AnomalyMap map = new AnomalyMap(h, w, Arrays.copyOfRange(prob, b * plane, (b + 1) * plane));
            out.add(RawOutput.of(imageScore(smoothed(map, cfg.mapSigma()), cfg.scorePool()), map));
        }
        return out;
    }

    /** {@code x} (N x C x H x W) with its last row and column repeated up to multiples of {@code multiple}. */
    static NDArray edgePadded(NDArray x, int multiple) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        long ph = (h + multiple - 1) / multiple * multiple;
        long pw = (w + multiple - 1) / multiple * multiple;
        NDArray out = x;
        if (ph > h) {
            out = out.concat(out.get(":, :, -1:, :").repeat(2, ph - h), 2);
        }
        if (pw > w) {
            out = out.concat(out.get(":, :, :, -1:").repeat(3, pw - w), 3);
        }
        return out;
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("network", "residual_unet " + config().get(NsaOptions.WIDTHS));
        provenance.put("parameters", parameterCount());
        provenance.put("channels", preprocessing().channels());
        if (trainingSummary != null) {
            provenance.set("training", trainingSummary);
        }
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        writer.putBytes("network.params", TrainingLoop.parameterBytes(network));
        state.put("widths", Arrays.toString(network.widths()));
        state.put("channels", preprocessing().channels());
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeModel();
        int channels = preprocessing().channels();
        model = Model.newInstance("nsa", DjlEnvironment.device(cfg.device()));
        network = new ResidualUNet(cfg.stemStride(), cfg.widthArray());
        model.setBlock(network);
        int m = network.multiple();
        network.initialize(model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, channels, m, m));
        try {
            TrainingLoop.restoreParameters(network, model.getNDManager(), reader.bytes("network.params"));
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + reader.directory() + ": " + e.getMessage(), e);
        }
    }

    private void closeModel() {
        if (model != null) {
            model.close();
            model = null;
        }
    }

    @Override
    public void close() {
        closeModel();
        super.close();
    }
}
