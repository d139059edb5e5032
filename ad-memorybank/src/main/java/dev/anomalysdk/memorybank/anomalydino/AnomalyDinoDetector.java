package dev.anomalysdk.memorybank.anomalydino;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
import dev.anomalysdk.core.persist.Npy;
import dev.anomalysdk.memorybank.components.Nd4jArrays;
import dev.anomalysdk.memorybank.components.NearestNeighbors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AnomalyDINO (Damm, Laszkiewicz, Lederer, Fischer, "AnomalyDINO: Boosting Patch-based Few-shot Anomaly
 * Detection with DINOv2", arXiv 2405.14529, WACV 2025); official code dammsi/AnomalyDINO, summarized in the
 * method card.
 *
 * <p>A memory bank of the L2-normalized patch tokens of a few reference images (each also rotated by 45, 90,
 * ..., 315 degrees by default), taken from the last block of a DINOv2 ViT-S/14 exported to TorchScript. A test
 * patch's score is its cosine distance {@code 1 - cos} to the nearest bank token (exact 1-NN); the image
 * score is the mean of the largest 1 % of the patch scores (the maximum below 100 patches); the map is
 * bilinearly resized to the network input; the core smooths it with {@code map_sigma} (4). With {@code masking},
 * only the test image's foreground patches ({@link ForegroundMask}) are scored, the others get 0.
 *
 * <p>Pre-processing: the smaller edge is resized to {@code image_size} (448) with this SDK's antialiased
 * bilinear filter (the official code uses antialiased bicubic), ImageNet normalization, then the sides are
 * cropped (bottom/right) to multiples of the patch size, as the official code does; the map is stretched
 * back over the uncropped input.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class AnomalyDinoDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(AnomalyDinoDetector.class);
    /** The registered name. */
    public static final String NAME = "anomaly_dino";
    /** Most values of one query-by-bank distance block. */
    private static final long DISTANCE_BLOCK = 1L << 24;
    private final AnomalyDinoOptions cfg;
    private FeatureExtractor backbone;
    private String layer;
    private int patch;
    /** L2-normalized reference patch tokens, {@code n x dim}. */
    private INDArray bank;
    private List<String> referenceIds = List.of();

    AnomalyDinoDetector(Config config) {
        this(config, AnomalyDinoOptions.of(config));
    }

    /** Smaller edge resized, aspect kept, no center crop (the patch-multiple crop is done per batch). */
    private AnomalyDinoDetector(Config config, AnomalyDinoOptions options) {
        super(NAME, config, Preprocessing.imagenet(options.imageSize(), 0));
        this.cfg = options;
    }

    /** Registers AnomalyDINO as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "AnomalyDINO (Damm et al. 2024): few-shot cosine k-NN on DINOv2 patch tokens",
                    AnomalyDinoOptions.PARAMS, AnomalyDinoDetector::new);
        }
    }

    private FeatureExtractor openBackbone() {
        Device device = DjlEnvironment.device(cfg.device());
        try {
            return Backbones.create(cfg.backbone(), null, device);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("Backbone file " + e.getFile() + " not found: export DINOv2 with "
                    + "`python tools/export_backbone.py --model timm:vit_small_patch14_dinov2.lvd142m --layers 11 "
                    + "--vit-norm --image-size 448 --out dinov2_vits14.pt` and pass --backbone (see "
                    + "docs/detectors/anomaly_dino.md)", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private void selectLayer() {
        List<String> layers = backbone.layers();
        layer = cfg.layer().isEmpty() ? layers.get(layers.size() - 1) : cfg.layer();
        int i = layers.indexOf(layer);
        if (i < 0) {
            throw new IllegalArgumentException("Invalid value for 'layer': '" + layer + "' is not an output of "
                    + backbone.identity() + ", which provides " + layers);
        }
        patch = backbone.strides().get(i);
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        closeBackbone();
        backbone = openBackbone();
        Backbones.warnIfUntrained(backbone, name());
        selectLayer();
        setPreprocessing(backbone.expectedPreprocessing(cfg.imageSize(), 0));
        List<Sample> refs = references(train, cfg.shots(), cfg.seed());
        referenceIds = refs.stream().map(Sample::id).toList();
        LOG.info("{}: {} reference image(s) of {} (shots={}, seed={}){}", name(), refs.size(), train.size(),
                cfg.shots(), cfg.seed(), cfg.rotateReferences() ? ", each in 8 rotations" : "");
        List<float[]> rows = new ArrayList<>();
        int dim = -1;
        long count = 0;
        for (int r = 0; r < refs.size(); r++) {
            ImageData img = refs.get(r).loadImage();
            List<ImageData> views = new ArrayList<>();
            views.add(img);
            if (cfg.rotateReferences()) {
                for (int k = 1; k < AnomalyDinoOptions.ROTATIONS; k++) {
                    views.add(rotate(img, k * 360.0 / AnomalyDinoOptions.ROTATIONS));
                }
            }
            for (int i = 0; i < views.size(); i += cfg.batchSize()) {
                List<ImageData> batch = views.subList(i, Math.min(views.size(), i + cfg.batchSize()));
                Patches p;
                try (NDManager scope = manager().newSubManager(backbone.device())) {
                    p = patches(preprocessing().toTensor(batch, scope), batch.get(0).source());
                }
                dim = p.dim;
                for (float[] tokens : p.tokens) {
                    rows.add(normalizeRows(tokens, p.dim));
                    count += tokens.length / p.dim;
                }
            }
            progress.update("building memory bank", r + 1, refs.size());
        }
        float[] all = new float[Math.toIntExact(count * dim)];
        int off = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, all, off, r.length);
            off += r.length;
        }
        bank = Nd4jArrays.matrix(all, 0, count, dim);
        LOG.info("{}: memory bank of {} patches x {} dims ({} MB)", name(), count, dim, count * dim * 4 / (1 << 20));
    }

    /**
     * The few-shot references: the training images sorted by id, {@code shots} consecutive ones starting at
     * {@code seed * shots} (wrapping around); all of them when {@code shots} is 0 or at least their number.
     */
    static List<Sample> references(List<Sample> train, int shots, long seed) {
        List<Sample> sorted = new ArrayList<>(train);
        sorted.sort(Comparator.comparing(Sample::id));
        int n = sorted.size();
        if (shots == 0 || shots >= n) {
            if (shots > n) {
                LOG.warn("shots={} but only {} training images: using all of them", shots, n);
            }
            return sorted;
        }
        int start = (int) Math.floorMod(seed * shots, (long) n);
        List<Sample> out = new ArrayList<>(shots);
        for (int i = 0; i < shots; i++) {
            out.add(sorted.get((start + i) % n));
        }
        return out;
    }

    /** Patch tokens of a batch: one {@code height * width * dim} row-major array per image. */
    private record Patches(List<float[]> tokens, int height, int width, int dim) { }

    /**
     * Patch tokens of a pre-processed batch, its sides first cropped to multiples of the patch size; arrays
     * stay in the input's manager.
     *
     * @param source the first image's source, named in the error for an image smaller than a patch
     */
    private Patches patches(NDArray input, String source) {
        long h = input.getShape().get(2);
        long w = input.getShape().get(3);
        long ch = h - h % patch;
        long cw = w - w % patch;
        if (ch == 0 || cw == 0) {
            throw new IllegalArgumentException("Image " + source + " is smaller than one "
                    + patch + "-pixel patch after resizing to " + w + "x" + h);
        }
        if (ch != h || cw != w) {
            input = input.get(new NDIndex(":, :, :" + ch + ", :" + cw));
        }
        NDArray f = backbone.extract(input).get(layer);
        int gh = (int) (ch / patch);
        int gw = (int) (cw / patch);
        Shape s = f.getShape();
        NDArray tokens;
        if (s.dimension() == 4) {
            if (s.get(2) != gh || s.get(3) != gw) {
                throw new IllegalStateException("Backbone " + backbone.identity() + " returned a " + s.get(3) + "x"
                        + s.get(2) + " grid for a " + cw + "x" + ch + " input with patch " + patch
                        + "; was it traced at another size? Re-export it at --image-size " + Math.max(ch, cw));
            }
            tokens = f.transpose(0, 2, 3, 1);
        } else if (s.dimension() == 3 && s.get(1) >= (long) gh * gw) {
            // N x tokens x C with leading class/register tokens.
            tokens = f.get(new NDIndex(":, " + (s.get(1) - (long) gh * gw) + ":, :"));
        } else {
            throw new IllegalStateException("Backbone " + backbone.identity() + " returned shape " + s
                    + "; expected NCHW patch tokens or N x tokens x C with " + gh * gw + " patch tokens");
        }
        int dim = (int) tokens.getShape().get(tokens.getShape().dimension() - 1);
        float[] flat = tokens.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        int per = gh * gw * dim;
        int n = (int) input.getShape().get(0);
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Arrays.copyOfRange(flat, i * per, (i + 1) * per));
        }
        return new Patches(out, gh, gw, dim);
    }

    /** @return a copy of {@code rows x dim} values with every row scaled to unit L2 norm */
    static float[] normalizeRows(float[] values, int dim) {
        float[] out = new float[values.length];
        for (int r = 0; r < values.length / dim; r++) {
            double s = 0;
            for (int j = 0; j < dim; j++) {
                double v = values[r * dim + j];
                s += v * v;
            }
            double inv = 1.0 / Math.max(Math.sqrt(s), 1e-12);
            for (int j = 0; j < dim; j++) {
                out[r * dim + j] = (float) (values[r * dim + j] * inv);
            }
        }
        return out;
    }

    /**
     * Cosine distance of each query to its nearest bank row, for unit-norm rows: {@code |q - b|^2 / 2 = 1 - cos}.
     *
     * @param queries {@code q x dim}, rows of unit norm
     * @param bank {@code n x dim}, rows of unit norm
     * @return {@code 1 - max cos} per query, in [0, 2]
     */
    static float[] cosineDistances(INDArray queries, INDArray bank) {
        int chunk = (int) Math.max(1, Math.min(4096, DISTANCE_BLOCK / Math.max(1, bank.rows())));
        float[] d = NearestNeighbors.squaredDistances(queries, bank, chunk);
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(2f, d[i] / 2f);
        }
        return d;
    }

    /** Mean of the largest 1 % of the values ({@code floor(n / 100)} of them); the maximum below 100 values. */
    static float meanOfTopShare(float[] values) {
        int k = (int) (values.length * AnomalyDinoOptions.TOP_SHARE);
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        if (k < 1) {
            return sorted[sorted.length - 1];
        }
        double s = 0;
        for (int i = sorted.length - k; i < sorted.length; i++) {
            s += sorted[i];
        }
        return (float) (s / k);
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        List<ImageData> images = batch.images();
        Patches p = patches(batch.tensor(), images.get(0).source());
        int n = p.height * p.width;
        float[] queries = new float[images.size() * n * p.dim];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(normalizeRows(p.tokens.get(i), p.dim), 0, queries, i * n * p.dim, n * p.dim);
        }
        float[] dist = cosineDistances(Nd4jArrays.matrix(queries, 0, (long) images.size() * n, p.dim), bank);
        int[] size = batch.networkSize();
        List<RawOutput> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            float[] d = Arrays.copyOfRange(dist, i * n, (i + 1) * n);
            if (cfg.masking()) {
                boolean[] fg = ForegroundMask.compute(p.tokens.get(i), p.height, p.width, p.dim, cfg.maskThreshold());
                for (int j = 0; j < n; j++) {
                    if (!fg[j]) {
                        d[j] = 0f;
                    }
                }
            }
            out.add(RawOutput.of(meanOfTopShare(d),
                    new AnomalyMap(p.height, p.width, d).resize(size[0], size[1], false)));
        }
        return out;
    }

    /**
     * Rotates an image about its centre by {@code degrees} (counter-clockwise as displayed), keeping its size:
     * bilinear sampling, borders reflected without repeating the edge pixel (OpenCV's default border, as the
     * official {@code warpAffine} call uses).
     */
    static ImageData rotate(ImageData image, double degrees) {
        int h = image.height();
        int w = image.width();
        int c = image.channels();
        double rad = Math.toRadians(degrees);
        double cos = Math.cos(rad);
        double sin = Math.sin(rad);
        // Snap exact quarter turns so that 90-degree multiples permute pixels exactly.
        cos = Math.abs(cos) < 1e-12 ? 0 : cos;
        sin = Math.abs(sin) < 1e-12 ? 0 : sin;
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        float[] src = image.pixelsView();
        float[] out = new float[src.length];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Inverse mapping: output (x, y) samples the input rotated back by -degrees.
                double dx = x - cx;
                double dy = y - cy;
                double sx = cos * dx - sin * dy + cx;
                double sy = sin * dx + cos * dy + cy;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                double fx = sx - x0;
                double fy = sy - y0;
                int xa = reflect101(x0, w);
                int xb = reflect101(x0 + 1, w);
                int ya = reflect101(y0, h);
                int yb = reflect101(y0 + 1, h);
                for (int ch = 0; ch < c; ch++) {
                    int base = ch * plane;
                    double top = src[base + ya * w + xa] * (1 - fx) + src[base + ya * w + xb] * fx;
                    double bottom = src[base + yb * w + xa] * (1 - fx) + src[base + yb * w + xb] * fx;
                    out[base + y * w + x] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        return new ImageData(c, h, w, out, image.source() + "@rot" + Math.round(degrees));
    }

    /** Reflection about the edge pixels without repeating them ({@code gfedcb|abcdefgh|gfedcba}). */
    static int reflect101(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * n - 2;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", backbone.identity());
        provenance.put("backbone_pretrained", backbone.isPretrained());
        provenance.put("memory_bank_patches", bank.rows());
        ArrayNode refs = provenance.putArray("references");
        referenceIds.forEach(refs::add);
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        backbone.save(writer, "backbone_");
        state.put("layer", layer);
        ArrayNode refs = state.putArray("references");
        referenceIds.forEach(refs::add);
        writer.putTensor("memory_bank", bank.castTo(DataType.FLOAT).dup('c').data().asFloat(), bank.rows(),
                bank.columns());
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeBackbone();
        backbone = Backbones.restore(reader, "backbone_", DjlEnvironment.device(cfg.device()));
        String saved = state.path("layer").asText();
        List<String> layers = backbone.layers();
        if (!layers.contains(saved)) {
            throw new IOException("Model " + reader.directory() + " uses layer '" + saved + "', not in its backbone "
                    + layers);
        }
        layer = saved;
        patch = backbone.strides().get(layers.indexOf(saved));
        List<String> refs = new ArrayList<>();
        state.path("references").forEach(n -> refs.add(n.asText()));
        referenceIds = List.copyOf(refs);
        Npy.Array b = reader.tensor("memory_bank");
        if (b.shape().length != 2) {
            throw new IOException("Model " + reader.directory() + ": memory_bank has shape "
                    + Arrays.toString(b.shape()) + ", expected a matrix");
        }
        bank = Nd4j.create(b.data(), b.shape(), 'c');
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
