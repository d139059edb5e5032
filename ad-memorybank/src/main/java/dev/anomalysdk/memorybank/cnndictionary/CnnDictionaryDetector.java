package dev.anomalysdk.memorybank.cnndictionary;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import dev.anomalysdk.memorybank.components.KMeans;
import dev.anomalysdk.memorybank.components.Nd4jArrays;
import dev.anomalysdk.memorybank.components.NearestNeighbors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CNN self-similarity dictionary (Napoletano, Piccoli, Schettini, "Anomaly Detection in Nanofibrous
 * Materials by CNN-Based Self-Similarity", Sensors 18(1):209, 2018).
 *
 * <p>The paper describes each sub-region of an image by ResNet-18 ImageNet features, optionally reduces
 * them with PCA, builds a dictionary of normal sub-regions with k-means, and scores a sub-region by its
 * Euclidean distance to the nearest dictionary entries. Here sub-regions are the positions of the backbone's
 * feature maps (dense, one forward pass per image instead of one per crop): each position's descriptor is
 * the chosen layers' features (deeper layers upsampled to the first one's grid and concatenated), averaged
 * over a {@code patch_size} neighbourhood, optionally L1-normalized as in the paper, optionally PCA-reduced.
 * The map is the per-position score, upsampled bilinearly; the core smooths it with {@code map_sigma} (4) and
 * takes its maximum as the image score.
 *
 * <p>k-means and the nearest-centroid search run on ND4J kernels ({@link KMeans}, {@link NearestNeighbors}).
 * Needs a pretrained backbone for real images; without one it warns and uses a random ResNet-18.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class CnnDictionaryDetector extends BaseDetector {
    /** The registered name. */
    public static final String NAME = "cnn_dictionary";
    private final CnnDictionaryOptions cfg;
    private FeatureExtractor backbone;
    private INDArray dictionary;
    private INDArray pcaMean;
    private INDArray pcaBasis;

    CnnDictionaryDetector(Config config) {
        this(config, CnnDictionaryOptions.of(config));
    }

    private CnnDictionaryDetector(Config config, CnnDictionaryOptions options) {
        super(NAME, config, Preprocessing.sized(options.imageSize(), 0, Preprocessing.IMAGENET_MEAN,
                Preprocessing.IMAGENET_STD));
        this.cfg = options;
    }

    /** Registers the CNN dictionary as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "CNN self-similarity dictionary (Napoletano et al. 2018): k-means dictionary of normal patch "
                    + "features", CnnDictionaryOptions.PARAMS, CnnDictionaryDetector::new);
        }
    }

    private FeatureExtractor openBackbone() {
        Device device = DjlEnvironment.device(cfg.device());
        try {
            return Backbones.create(cfg.backbone(), cfg.layers(), device);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        closeBackbone();
        backbone = openBackbone();
        Backbones.warnIfUntrained(backbone, name());
        // Square resize keeps the whole image (no crop); channels and normalization are the backbone's.
        Preprocessing expected = backbone.expectedPreprocessing(cfg.imageSize(), 0);
        setPreprocessing(Preprocessing.sized(cfg.imageSize(), 0, expected.mean(), expected.std()));
        List<float[]> rows = new ArrayList<>();
        int dim = -1;
        int bs = inferenceBatchSize();
        for (int i = 0; i < train.size(); i += bs) {
            List<ImageData> batch = train.subList(i, Math.min(train.size(), i + bs)).stream()
                    .map(Sample::loadImage).toList();
            Descriptors d;
            try (NDManager scope = manager().newSubManager(backbone.device())) {
                d = descriptors(preprocessing().toTensor(batch, scope));
            }
            dim = d.dim;
            rows.add(d.values);
            progress.update("extracting features", Math.min(train.size(), i + bs), train.size());
        }
        int total = rows.stream().mapToInt(r -> r.length).sum() / dim;
        float[] all = new float[total * dim];
        int off = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, all, off, r.length);
            off += r.length;
        }
        INDArray x = Nd4jArrays.matrix(all, 0, total, dim);
        x = subsample(x, cfg.maxFitPatches(), new Random(cfg.seed()));
        if (cfg.pcaVariance() > 0) {
            fitPca(x, cfg.pcaVariance());
            x = project(x);
        } else {
            pcaMean = null;
            pcaBasis = null;
        }
        int k = (int) Math.min(cfg.dictionarySize(), x.rows());
        dictionary = KMeans.fit(x, k, cfg.kmeansIterations(), cfg.seed(), progress);
    }

    private static INDArray subsample(INDArray x, int max, Random random) {
        if (x.rows() <= max) {
            return x;
        }
        int n = (int) x.rows();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        for (int i = 0; i < max; i++) {
            int j = i + random.nextInt(n - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = Arrays.copyOf(idx, max);
        Arrays.sort(chosen);
        return x.getRows(chosen);
    }

    /** PCA keeping the fewest leading components whose eigenvalues sum to the requested variance share. */
    private void fitPca(INDArray x, double variance) {
        INDArray mean = x.mean(0).reshape(1, x.columns());
        INDArray centred = x.subRowVector(mean);
        INDArray cov = centred.transpose().mmul(centred).divi(Math.max(1, x.rows() - 1));
        INDArray vectors = cov.dup();
        INDArray values = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(vectors, true);
        float[] ev = values.toFloatVector();
        Integer[] order = new Integer[ev.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(ev[b], ev[a]));
        double total = 0;
        for (float v : ev) {
            total += Math.max(0, v);
        }
        double acc = 0;
        int keep = 0;
        while (keep < order.length && acc < variance * total) {
            acc += Math.max(0, ev[order[keep]]);
            keep++;
        }
        keep = Math.max(1, keep);
        INDArray basis = Nd4j.create(DataType.FLOAT, x.columns(), keep);
        for (int j = 0; j < keep; j++) {
            basis.putColumn(j, vectors.getColumn(order[j]).castTo(DataType.FLOAT));
        }
        pcaMean = mean.castTo(DataType.FLOAT);
        pcaBasis = basis;
    }

    private INDArray project(INDArray x) {
        return pcaBasis == null ? x : x.subRowVector(pcaMean).mmul(pcaBasis);
    }

    /** Descriptors of a batch: {@code n*h*w x dim} row-major values, positions row-major per image. */
    private record Descriptors(float[] values, int n, int h, int w, int dim) { }

    /** Descriptors of a pre-processed batch; intermediate arrays stay in the input's manager. */
    private Descriptors descriptors(NDArray input) {
        Map<String, NDArray> features = backbone.extract(input);
        List<NDArray> parts = new ArrayList<>();
        long h = -1;
        long w = -1;
        for (String layer : cfg.layers()) {
            NDArray f = features.get(layer);
            if (f == null) {
                throw new IllegalArgumentException("Backbone " + backbone.identity() + " has no layer '" + layer
                        + "'; it provides " + backbone.layers());
            }
            if (h < 0) {
                h = f.getShape().get(2);
                w = f.getShape().get(3);
            } else if (f.getShape().get(2) != h || f.getShape().get(3) != w) {
                f = f.getNDArrayInternal().interpolation(new long[] {h, w}, BILINEAR, false);
            }
            parts.add(f);
        }
        NDArray x = parts.size() == 1 ? parts.get(0) : NDArrays.concat(new ai.djl.ndarray.NDList(parts), 1);
        int p = cfg.patchSize();
        if (p > 1) {
            x = x.getNDArrayInternal().avgPool(new Shape(p, p), new Shape(1, 1), new Shape(p / 2, p / 2),
                    false, false);
        }
        x = x.transpose(0, 2, 3, 1);
        if (cfg.l1Normalize()) {
            x = x.div(x.abs().sum(new int[] {3}, true).add(1e-12f));
        }
        Shape s = x.getShape();
        float[] values = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        return new Descriptors(values, (int) s.get(0), (int) s.get(1), (int) s.get(2), (int) s.get(3));
    }

    /** PyTorch's bilinear interpolation mode code in DJL's {@code interpolation}. */
    private static final int BILINEAR = 1;

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        Descriptors d = descriptors(batch.tensor());
        INDArray q = project(Nd4jArrays.matrix(d.values, 0, (long) d.n * d.h * d.w, d.dim));
        float[] dist = distanceToDictionary(q);
        int plane = d.h * d.w;
        int[] size = batch.networkSize();
        List<RawOutput> out = new ArrayList<>(d.n);
        for (int i = 0; i < d.n; i++) {
            float[] v = Arrays.copyOfRange(dist, i * plane, (i + 1) * plane);
            out.add(RawOutput.mapMax(new AnomalyMap(d.h, d.w, v).resize(size[0], size[1], false)));
        }
        return out;
    }

    /** Mean Euclidean distance to the {@code neighbors} nearest dictionary entries. */
    private float[] distanceToDictionary(INDArray q) {
        if (cfg.neighbors() == 1) {
            float[] sq = NearestNeighbors.squaredDistances(q, dictionary, 4096);
            for (int i = 0; i < sq.length; i++) {
                sq[i] = (float) Math.sqrt(sq[i]);
            }
            return sq;
        }
        return NearestNeighbors.meanOfNearest(q, dictionary, Math.min(cfg.neighbors(), (int) dictionary.rows()), 4096);
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", backbone.identity());
        provenance.put("backbone_pretrained", backbone.isPretrained());
        provenance.put("dictionary_size", dictionary.rows());
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        backbone.save(writer, "backbone_");
        writer.putTensor("dictionary", flat(dictionary), dictionary.rows(), dictionary.columns());
        state.put("pca", pcaBasis != null);
        if (pcaBasis != null) {
            writer.putTensor("pca_mean", flat(pcaMean), pcaMean.columns());
            writer.putTensor("pca_basis", flat(pcaBasis), pcaBasis.rows(), pcaBasis.columns());
        }
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeBackbone();
        backbone = Backbones.restore(reader, "backbone_", DjlEnvironment.device(cfg.device()));
        dictionary = matrix(reader.tensor("dictionary"));
        if (state.path("pca").asBoolean(false)) {
            Npy.Array mean = reader.tensor("pca_mean");
            pcaMean = Nd4j.create(mean.data(), new long[] {1, mean.data().length}, 'c');
            pcaBasis = matrix(reader.tensor("pca_basis"));
        }
    }

    private static float[] flat(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    private static INDArray matrix(Npy.Array a) throws IOException {
        if (a.shape().length != 2) {
            throw new IOException("Expected a matrix, got shape " + Arrays.toString(a.shape()));
        }
        return Nd4j.create(a.data(), a.shape(), 'c');
    }

    private void closeBackbone() {
        if (backbone != null) {
            backbone.close();
            backbone = null;
        }
    }

    @Override
    public void close() {
        closeBackbone();
        super.close();
    }
}
