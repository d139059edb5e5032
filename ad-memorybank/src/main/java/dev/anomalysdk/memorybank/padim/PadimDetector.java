package dev.anomalysdk.memorybank.padim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PaDiM (Defard, Setkov, Loesch, Audigier, "PaDiM: a Patch Distribution Modeling Framework for Anomaly
 * Detection and Localization", ICPR 2020 workshops, arXiv 2011.08785). No official code; defaults follow
 * anomalib's implementation as summarized in the method card.
 *
 * <p>Each position of the first layer's feature grid gets an embedding: the chosen layers' features
 * (deeper layers upsampled to the first layer's grid by nearest neighbour, as anomalib's
 * {@code F.interpolate} default and the paper's block-wise concatenation do), reduced to a seeded random
 * subset of channels (100 for ResNet-18, 550 for Wide-ResNet-50-2). Fitting models every position by a
 * multivariate Gaussian (mean and unbiased covariance + 0.01 I), streamed over batches
 * ({@link PositionGaussians}). The map is the Mahalanobis distance per position, upsampled bilinearly to the
 * network input and smoothed with a Gaussian of sigma 4; the image score is its maximum.
 *
 * <p>Memory: the model holds {@code H * W * d * d} float32 values (first layer grid H x W, subset d): 125 MB
 * for ResNet-18 at 224 px (56 x 56 x 100 x 100), 3.8 GB for Wide-ResNet-50-2 (56 x 56 x 550 x 550); fitting
 * needs the same amount once more at most in 64 MB chunks, never the embeddings of all images.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class PadimDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(PadimDetector.class);
    /** The registered name. */
    public static final String NAME = "padim";
    private final PadimOptions cfg;
    private FeatureExtractor backbone;
    /** Sorted indices into the concatenated channels of {@link PadimOptions#layers()}. */
    private int[] channelIndices;
    private PositionGaussians gaussians;

    PadimDetector(Config config) {
        this(config, PadimOptions.of(config));
    }

    private PadimDetector(Config config, PadimOptions options) {
        super(NAME, config, Preprocessing.sized(options.imageSize(), options.cropSize(), Preprocessing.IMAGENET_MEAN,
                Preprocessing.IMAGENET_STD));
        this.cfg = options;
    }

    /** Registers PaDiM as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "PaDiM (Defard et al. 2020): per-position Gaussian of CNN features, Mahalanobis distance map",
                    PadimOptions.PARAMS, PadimDetector::new);
        }
    }

    private FeatureExtractor openBackbone() {
        Device device = DjlEnvironment.device(cfg.device());
        try {
            return Backbones.create(cfg.backbone(), cfg.layers(), device);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        closeModel();
        backbone = openBackbone();
        Backbones.warnIfUntrained(backbone, name());
        Preprocessing expected = backbone.expectedPreprocessing(cfg.imageSize(), cfg.cropSize());
        setPreprocessing(Preprocessing.sized(cfg.imageSize(), cfg.cropSize(), expected.mean(), expected.std()));
        int total = backbone.channels().stream().mapToInt(Integer::intValue).sum();
        int d = cfg.featureDim(backbone.identity(), total);
        channelIndices = randomSubset(total, d, cfg.seed());
        LOG.info("{}: {} of {} channels of {} (seed {})", name(), d, total, cfg.layers(), cfg.seed());
        int bs = inferenceBatchSize();
        for (int i = 0; i < train.size(); i += bs) {
            List<ImageData> batch = train.subList(i, Math.min(train.size(), i + bs)).stream()
                    .map(Sample::loadImage).toList();
            try (NDManager scope = manager().newSubManager(Device.cpu())) {
                NDArray e = embed(preprocessing().toTensor(batch, scope), scope).values();
                if (gaussians == null) {
                    Shape s = e.getShape();
                    gaussians = new PositionGaussians(manager(), (int) s.get(0), (int) s.get(2));
                    LOG.info("{}: {} positions x {} dims; the model takes {} MB", name(), s.get(0), s.get(2),
                            s.get(0) * s.get(2) * s.get(2) * 4 / (1 << 20));
                }
                gaussians.accumulate(e);
            }
            progress.update("fitting Gaussians", Math.min(train.size(), i + bs), train.size());
        }
        gaussians.finish(PadimOptions.COVARIANCE_RIDGE);
    }

    /** A seeded random choice of {@code d} of {@code total} indices, sorted (partial Fisher-Yates). */
    static int[] randomSubset(int total, int d, long seed) {
        int[] idx = new int[total];
        for (int i = 0; i < total; i++) {
            idx[i] = i;
        }
        Random random = new Random(seed);
        for (int i = 0; i < d; i++) {
            int j = i + random.nextInt(total - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = Arrays.copyOf(idx, d);
        Arrays.sort(chosen);
        return chosen;
    }

    /**
     * The embeddings of a batch: {@code positions x batch x d}, float32 on the CPU, in {@code scope}.
     * Positions are the first layer's grid, row-major.
     */
    private Embeddings embed(NDArray input, NDManager scope) {
        NDArray onDevice = input.getDevice().equals(backbone.device()) ? input : input.toDevice(backbone.device(), false);
        Map<String, NDArray> features = backbone.extract(onDevice);
        List<String> layers = cfg.layers();
        NDList parts = new NDList();
        long h = -1;
        long w = -1;
        int offset = 0;
        for (String layer : layers) {
            NDArray f = features.get(layer);
            if (f == null) {
                throw new IllegalArgumentException("Backbone " + backbone.identity() + " has no layer '" + layer
                        + "'; it provides " + backbone.layers());
            }
            f = f.toDevice(Device.cpu(), false);
            Shape s = f.getShape();
            int c = (int) s.get(1);
            if (h < 0) {
                h = s.get(2);
                w = s.get(3);
            }
            float[] selector = selector(offset, c);
            offset += c;
            if (selector == null) {
                continue;
            }
            int k = selector.length / c;
            // One-hot channel selection as a matrix product: exact, and no indexed gathers.
            NDArray x = f.transpose(0, 2, 3, 1).matMul(scope.create(selector, new Shape(c, k)));
            if (s.get(2) != h || s.get(3) != w) {
                NDArray rows = scope.create(nearest((int) s.get(2), (int) h), new Shape(h, s.get(2)));
                NDArray cols = scope.create(nearest((int) s.get(3), (int) w), new Shape(w, s.get(3)));
                // (B,k,h',w') -> rows @ x @ cols^T -> (B,k,H,W)
                x = rows.matMul(x.transpose(0, 3, 1, 2)).matMul(cols.transpose()).transpose(0, 2, 3, 1);
            }
            parts.add(x);
        }
        if (channelIndices[channelIndices.length - 1] >= offset) {
            throw new IllegalStateException("Backbone layers " + layers + " have " + offset
                    + " channels, but the model uses channel " + channelIndices[channelIndices.length - 1]);
        }
        NDArray e = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 3);
        Shape s = e.getShape();
        return new Embeddings(e.reshape(s.get(0), s.get(1) * s.get(2), s.get(3)).transpose(1, 0, 2), (int) h,
                (int) w);
    }

    /** Embeddings {@code positions x batch x d} of a {@code height x width} grid. */
    private record Embeddings(NDArray values, int height, int width) { }

    /** One-hot {@code c x k} matrix picking the subset's channels in {@code [offset, offset + c)}, or null. */
    private float[] selector(int offset, int c) {
        int from = lowerBound(channelIndices, offset);
        int to = lowerBound(channelIndices, offset + c);
        int k = to - from;
        if (k == 0) {
            return null;
        }
        float[] m = new float[c * k];
        for (int j = 0; j < k; j++) {
            m[(channelIndices[from + j] - offset) * k + j] = 1f;
        }
        return m;
    }

    private static int lowerBound(int[] sorted, int value) {
        int i = Arrays.binarySearch(sorted, value);
        if (i >= 0) {
            while (i > 0 && sorted[i - 1] == value) {
                i--;
            }
            return i;
        }
        return -i - 1;
    }

    /**
     * {@code out x in} one-hot matrix of nearest-neighbour upsampling as PyTorch's {@code F.interpolate}
     * (mode nearest) does it: output {@code o} takes input {@code floor(o * in / out)}.
     */
    static float[] nearest(int in, int out) {
        float[] m = new float[out * in];
        for (int o = 0; o < out; o++) {
            int src = Math.min((int) Math.floor(o * (double) in / out), in - 1);
            m[o * in + src] = 1f;
        }
        return m;
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        Embeddings e = embed(batch.tensor(), batch.manager());
        float[][] dist = gaussians.distances(e.values());
        int[] size = batch.networkSize();
        List<RawOutput> out = new ArrayList<>(dist.length);
        for (float[] d : dist) {
            out.add(RawOutput.mapMax(new AnomalyMap(e.height(), e.width(), d).resize(size[0], size[1], false)));
        }
        return out;
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", backbone.identity());
        provenance.put("backbone_pretrained", backbone.isPretrained());
        provenance.put("feature_dim", channelIndices.length);
        provenance.put("positions", gaussians.positions());
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        backbone.save(writer, "backbone_");
        ArrayNode idx = state.putArray("channel_indices");
        for (int i : channelIndices) {
            idx.add(i);
        }
        gaussians.save(writer, "gaussian_", state);
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeModel();
        backbone = Backbones.restore(reader, "backbone_", DjlEnvironment.device(cfg.device()));
        JsonNode idx = state.path("channel_indices");
        channelIndices = new int[idx.size()];
        for (int i = 0; i < channelIndices.length; i++) {
            channelIndices[i] = idx.get(i).asInt();
        }
        gaussians = PositionGaussians.load(manager(), reader, "gaussian_", state);
    }

    private void closeModel() {
        if (backbone != null) {
            backbone.close();
            backbone = null;
        }
        if (gaussians != null) {
            gaussians.close();
            gaussians = null;
        }
    }

    @Override
    public void close() {
        closeModel();
        super.close();
    }
}
