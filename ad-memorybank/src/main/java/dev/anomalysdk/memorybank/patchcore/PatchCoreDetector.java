package dev.anomalysdk.memorybank.patchcore;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.persist.Npy;
import dev.anomalysdk.memorybank.components.CoresetSampler;
import dev.anomalysdk.memorybank.components.KernelBackend;
import dev.anomalysdk.memorybank.components.KnnSearch;
import dev.anomalysdk.memorybank.components.PatchMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PatchCore (Roth, Pemula, Zepeda, Schölkopf, Brox, Gehler, "Towards Total Recall in Industrial Anomaly
 * Detection", CVPR 2022), following the official implementation (amazon-science/patchcore-inspection).
 *
 * <p>Fit: every training image goes through the backbone (by default layer2 and layer3 of a
 * WideResNet-50-2); each position of layer2's grid gets a locally aware patch feature (3x3 neighbourhoods,
 * adaptive average pooling to 1024 per layer and again after stacking, see {@link PatchEmbedding}). The
 * patch features of all training images are kept off-heap (or memory-mapped), then an approximate greedy
 * coreset ({@link CoresetSampler}, 10 % by default) becomes the memory bank.
 *
 * <p>Predict: each test patch's score is its squared Euclidean distance to the nearest bank patch (exact
 * k-NN, {@link KnnSearch}); the image score is the largest patch score (or, with
 * {@code image_score=reweighted}, the paper's re-weighting of it, which the official code omits); the map is
 * the patch scores bilinearly upsampled (align_corners=False) to the network input; the core smooths it with
 * {@code map_sigma} (official: 4). Scores are in squared feature units, as in the official code.
 *
 * <p>Needs a pretrained backbone on real images: export one with {@code tools/export_backbone.py}. Without
 * one it warns and uses a random WideResNet-50-2.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class PatchCoreDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(PatchCoreDetector.class);
    /** The registered name. */
    public static final String NAME = "patchcore";
    private static final String BACKBONE_PREFIX = "backbone_";
    private static final String BANK = "memory_bank";

    private final PatchCoreOptions cfg;
    private final PatchEmbedding embedding;
    private FeatureExtractor backbone;
    private PatchMatrix bank;
    private KnnSearch search;
    private long patchesBeforeCoreset;
    private double coresetSeconds;

    PatchCoreDetector(Config config) {
        this(config, PatchCoreOptions.of(config));
    }

    private PatchCoreDetector(Config config, PatchCoreOptions options) {
        super(NAME, config, Preprocessing.sized(options.imageSize(), options.cropSize(), Preprocessing.IMAGENET_MEAN,
                Preprocessing.IMAGENET_STD));
        this.cfg = options;
        this.embedding = options.embedding();
    }

    /** Registers PatchCore as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "PatchCore (Roth et al., CVPR 2022): coreset memory bank of locally aggregated patch "
                    + "features, nearest-neighbour distance", PatchCoreOptions.PARAMS, PatchCoreDetector::new);
        }
    }

    /** @return rows in the memory bank (after coreset selection) */
    public long memoryBankSize() {
        requireBank();
        return bank.rows();
    }

    private void requireBank() {
        if (bank == null) {
            throw new IllegalStateException("PatchCore is not fitted: call fit() or load a saved model");
        }
    }

    private KernelBackend kernels() {
        return KernelBackend.parse(cfg.kernels(), backbone.device());
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        closeState();
        backbone = openBackbone(cfg.backbone(), cfg.layers(), cfg.device());
        Backbones.warnIfUntrained(backbone, name());
        Preprocessing expected = backbone.expectedPreprocessing(cfg.imageSize(), cfg.cropSize());
        setPreprocessing(Preprocessing.sized(cfg.imageSize(), cfg.cropSize(), expected.mean(), expected.std()));
        PatchMatrix features = null;
        try {
            int bs = inferenceBatchSize();
            for (int i = 0; i < train.size(); i += bs) {
                List<ImageData> batch = train.subList(i, Math.min(train.size(), i + bs)).stream()
                        .map(Sample::loadImage).toList();
                PatchEmbedding.Patches p;
                try (NDManager scope = manager().newSubManager(backbone.device())) {
                    p = embed(preprocessing().toTensor(batch, scope));
                }
                if (features == null) {
                    features = newFeatureStore((long) train.size() * p.perImage(), p.dim());
                }
                features.append(p.values(), 0, p.images() * p.perImage());
                progress.update("extracting features", Math.min(train.size(), i + bs), train.size());
            }
            patchesBeforeCoreset = features.rows();
            KernelBackend kb = kernels();
            long t0 = System.nanoTime();
            if (cfg.coresetFraction() < 1) {
                CoresetSampler.Options o = new CoresetSampler.Options(cfg.coresetFraction(), cfg.coresetProjectionDim(),
                        cfg.coresetStartingPoints(), cfg.seed(), cfg.coresetThreads());
                int[] chosen = CoresetSampler.select(features, o, kb, backbone.device(), progress);
                bank = features.select(chosen, cfg.bankPrecision());
            } else if (!features.isMapped() && features.precision() == cfg.bankPrecision()) {
                bank = features;
                features = null;
            } else {
                int[] all = new int[(int) features.rows()];
                Arrays.setAll(all, i -> i);
                bank = features.select(all, cfg.bankPrecision());
            }
            coresetSeconds = (System.nanoTime() - t0) / 1e9;
            search = new KnnSearch(bank, kb, backbone.device());
            LOG.info("{}: memory bank of {} patches from {} ({} s coreset selection, {} kernels, {} search)", name(),
                    bank.rows(), patchesBeforeCoreset, String.format("%.1f", coresetSeconds), kb,
                    search.isPruned() ? "pruned" : "exhaustive");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store training patch features: " + e.getMessage(), e);
        } finally {
            if (features != null) {
                features.close();
            }
        }
    }

    /**
     * Training features stay float32 whatever the bank precision, so that the coreset is chosen on the same
     * values either way; only the bank is rounded.
     */
    private PatchMatrix newFeatureStore(long rows, int dim) throws IOException {
        PatchMatrix.Precision precision = PatchMatrix.Precision.FLOAT32;
        long bytes = rows * dim * precision.bytes();
        boolean mapped = switch (cfg.featureStorage()) {
            case MEMORY -> false;
            case MAPPED -> true;
            case AUTO -> bytes > (1L << 30);
        };
        LOG.info("{}: {} training patches x {} ({} MiB) kept {}", name(), rows, dim, bytes >> 20,
                mapped ? "in a memory-mapped temporary file" : "off-heap");
        return mapped ? PatchMatrix.mappedTemporary(null, dim, precision) : PatchMatrix.inMemory(dim, precision);
    }

    private static FeatureExtractor openBackbone(String spec, List<String> layers, String device) {
        try {
            return Backbones.create(spec, layers, DjlEnvironment.device(device));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** Patch features of a pre-processed batch; the backbone's outputs stay in the input's manager. */
    private PatchEmbedding.Patches embed(NDArray input) {
        return embedding.embed(backbone.extract(input));
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        requireBank();
        int[] size = batch.networkSize();
        return score(embed(batch.tensor()), size[0], size[1]);
    }

    /**
     * Scores patch features: the image score from the unsmoothed patch scores, raw maps at {@code height x
     * width} (the network input) for the core to smooth.
     */
    List<RawOutput> score(PatchEmbedding.Patches p, int height, int width) {
        int per = p.perImage();
        KnnSearch.Result nn = search.search(p.values(), p.images() * per, 1);
        float[] patchScores = nn.nearest();
        List<RawOutput> out = new ArrayList<>(p.images());
        for (int i = 0; i < p.images(); i++) {
            float[] s = Arrays.copyOfRange(patchScores, i * per, (i + 1) * per);
            int star = 0;
            for (int j = 1; j < per; j++) {
                if (s[j] > s[star]) {
                    star = j;
                }
            }
            float imageScore = s[star];
            if (cfg.imageScore() == PatchCoreOptions.ImageScore.REWEIGHTED) {
                imageScore = reweight(p.values(), (i * per + star) * p.dim(), p.dim(), nn.index(i * per + star, 0),
                        imageScore);
            }
            out.add(RawOutput.of(imageScore, rawMap(s, p.gridHeight(), p.gridWidth(), height, width)));
        }
        return out;
    }

    /** Patch scores on the grid, bilinearly upsampled (align_corners=False): the raw map. */
    static AnomalyMap rawMap(float[] patchScores, int gridHeight, int gridWidth, int height, int width) {
        return new AnomalyMap(gridHeight, gridWidth, patchScores).resize(height, width, false);
    }

    /**
     * The map at network resolution as the pipeline delivers it with {@code map_sigma = sigma}: the raw map
     * Gaussian-smoothed by the core's post-processing. The parity tests compare it with the official maps.
     */
    static AnomalyMap anomalyMap(float[] patchScores, int gridHeight, int gridWidth, int height, int width,
            double sigma) {
        AnomalyMap map = rawMap(patchScores, gridHeight, gridWidth, height, width);
        return sigma > 0 ? map.gaussianBlur(sigma) : map;
    }

    /**
     * The paper's Eq. 7: {@code s = (1 - exp|m_test - m*| / sum_{m in N_b(m*)} exp|m_test - m|) * s*}, where
     * {@code m*} is the bank patch nearest to the most anomalous test patch and {@code N_b(m*)} its {@code b}
     * nearest bank patches (itself included). Distances in the exponent are Euclidean; {@code s*} keeps the
     * detector's squared units.
     */
    private float reweight(float[] features, int offset, int dim, int nearest, float score) {
        int b = (int) Math.min(cfg.reweightNeighbors(), bank.rows());
        float[] mStar = bank.row(nearest);
        KnnSearch.Result support = search.search(mStar, 1, b);
        double[] d = new double[b];
        double max = Double.NEGATIVE_INFINITY;
        // Support row 0 is m* itself (distance 0 to itself), unless exact duplicates precede it.
        int self = 0;
        for (int j = 0; j < b; j++) {
            int row = support.index(0, j);
            if (row == nearest) {
                self = j;
            }
            float[] m = bank.row(row);
            double s = 0;
            for (int t = 0; t < dim; t++) {
                double v = features[offset + t] - m[t];
                s += v * v;
            }
            d[j] = Math.sqrt(s);
            max = Math.max(max, d[j]);
        }
        double sum = 0;
        for (double v : d) {
            sum += Math.exp(v - max);
        }
        double weight = 1 - Math.exp(d[self] - max) / sum;
        return (float) (weight * score);
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", backbone.identity());
        provenance.put("backbone_pretrained", backbone.isPretrained());
        provenance.put("patches_before_coreset", patchesBeforeCoreset);
        provenance.put("memory_bank_size", bank.rows());
        provenance.put("coreset_seconds", coresetSeconds);
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        requireBank();
        backbone.save(writer, BACKBONE_PREFIX);
        writer.putTensor(BANK, bank.toArray(), bank.rows(), bank.dim());
        state.put("memory_bank_rows", bank.rows());
        state.put("memory_bank_dim", bank.dim());
        state.put("patches_before_coreset", patchesBeforeCoreset);
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeState();
        Device device = DjlEnvironment.device(cfg.device());
        backbone = Backbones.restore(reader, BACKBONE_PREFIX, device);
        Npy.Array a = reader.tensor(BANK);
        if (a.shape().length != 2 || a.shape()[1] != embedding.targetDim()) {
            throw new IOException("Model " + reader.directory() + ": memory bank has shape " + Arrays.toString(a.shape())
                    + ", expected [rows, " + embedding.targetDim() + "]");
        }
        bank = PatchMatrix.inMemory((int) a.shape()[1], cfg.bankPrecision());
        bank.append(a.data(), 0, (int) a.shape()[0]);
        patchesBeforeCoreset = state.path("patches_before_coreset").asLong(bank.rows());
        search = new KnnSearch(bank, kernels(), device);
    }

    private void closeState() {
        if (search != null) {
            search.close();
            search = null;
        }
        if (bank != null) {
            bank.close();
            bank = null;
        }
        if (backbone != null) {
            backbone.close();
            backbone = null;
        }
    }

    @Override
    public void close() {
        closeState();
        super.close();
    }
}
