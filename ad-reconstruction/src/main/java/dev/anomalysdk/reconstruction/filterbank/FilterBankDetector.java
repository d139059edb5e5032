package dev.anomalysdk.reconstruction.filterbank;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * A training-free floor after AnomalyHop (Zhang, Wang, Kuo, et al., "AnomalyHop: An SSL-based Image Anomaly
 * Localization Method", VCIP 2021): features come from successive subspace learning (cascaded PCA filter
 * banks learned from the normal images' own neighbourhoods), normality is a Gaussian per position.
 *
 * <p><b>Features.</b> Stage {@code s} takes {@code k_s x k_s} neighbourhoods of its input (mirrored at the
 * border) and applies a Saab-like filter bank: one constant (DC) filter, {@code mean * sqrt(d)}, and the
 * leading {@code components_s} principal components of the mean-removed neighbourhoods (AC filters). The
 * responses are the stage's features; 2x2 max pooling of them is the next stage's input. With the default
 * kernels 5, 3, 3 and an input of 128 pixels, stages see 5, 10 and 20-pixel neighbourhoods at 128, 64 and 32
 * positions per side.
 *
 * <p><b>Normality.</b> For every stage and position, a Gaussian (mean and covariance) is estimated from the
 * training images' features in a {@code (2 window + 1)^2} neighbourhood of positions (or over all positions
 * with {@code window = -1}, for textures), with shrinkage {@code (1 - s) C + s tr(C)/d I}. A position's
 * anomaly is its Mahalanobis distance, z-scored by the training distances of its stage; the map is the mean of
 * the stages' maps upsampled bilinearly to the input size, smoothed with a Gaussian ({@code map_sigma}) by the core;
 * the image score is the map's maximum.
 *
 * <p>Fitting is a pass of PCA and a pass of moment accumulation over the training images: seconds. Plain Java
 * arrays; no network, no weights. Grayscale images are handled natively (one channel when every training
 * image is gray).
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class FilterBankDetector extends BaseDetector {
    /** The registered name. */
    public static final String NAME = "filter_bank";
    private final FilterBankOptions cfg;
    private final List<Stage> stages = new ArrayList<>();

    FilterBankDetector(Config config) {
        this(config, FilterBankOptions.of(config));
    }

    private FilterBankDetector(Config config, FilterBankOptions options) {
        // Three channels until fitting finds gray training images.
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers the filter bank as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "Training-free floor after AnomalyHop: cascaded PCA filter banks learned from normal patches "
                    + "and per-position Gaussians; fits in seconds", FilterBankOptions.PARAMS, FilterBankDetector::new);
        }
    }

    /** One stage's filters and Gaussians. */
    private static final class Stage {
        int kernel;
        int inChannels;
        int outChannels;
        int height;
        int width;
        boolean global;
        float[] filters;
        float[] center;
        float[] mean;
        float[] chol;
        float distMean;
        float distStd = 1;

        int dim() {
            return inChannels * kernel * kernel;
        }
    }

    /** A feature map: {@code channels x height x width}. */
    private record Features(float[] values, int channels, int height, int width) { }

    @Override
    protected int inferenceBatchSize() {
        return 16;
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        AtomicInteger done = new AtomicInteger();
        List<ImageData> images = IntStream.range(0, train.size()).parallel().mapToObj(i -> {
            ImageData img = train.get(i).loadImage();
            progress.update("loading images", done.incrementAndGet(), train.size());
            return img;
        }).toList();
        int channels = images.stream().allMatch(FilterBankDetector::isGray) ? 1 : 3;
        setPreprocessing(Preprocessing.unnormalized(channels, cfg.imageSize()));
        int size = cfg.imageSize();
        List<Features> inputs = new ArrayList<>();
        for (ImageData img : images) {
            inputs.add(new Features(preprocessing().apply(img), channels, size, size));
        }
        stages.clear();
        Random random = new Random(cfg.seed());
        List<Integer> kernels = cfg.kernels();
        List<Integer> components = cfg.components();
        for (int s = 0; s < kernels.size(); s++) {
            Features first = inputs.get(0);
            Stage st = new Stage();
            st.kernel = kernels.get(s);
            st.inChannels = first.channels();
            st.height = first.height();
            st.width = first.width();
            st.outChannels = Math.min(components.get(s), st.dim() - 1) + 1;
            learnFilters(st, inputs, random);
            List<Features> responses = inputs.parallelStream().map(f -> respond(st, f)).toList();
            learnGaussians(st, responses);
            stages.add(st);
            List<Features> next = new ArrayList<>();
            if (s + 1 < kernels.size()) {
                for (Features r : responses) {
                    next.add(maxPool(r));
                }
            }
            inputs = next;
            progress.update("filter-bank stages", s + 1, kernels.size());
        }
        // z-score each stage's distances by their distribution on the training images.
        int k = stages.size();
        double[] sum = new double[k];
        double[] sq = new double[k];
        long[] n = new long[k];
        for (ImageData img : images) {
            List<float[]> maps = stageDistances(preprocessing().apply(img), channels);
            for (int s = 0; s < k; s++) {
                for (float v : maps.get(s)) {
                    sum[s] += v;
                    sq[s] += (double) v * v;
                }
                n[s] += maps.get(s).length;
            }
        }
        for (int s = 0; s < k; s++) {
            double m = sum[s] / n[s];
            stages.get(s).distMean = (float) m;
            stages.get(s).distStd = (float) Math.max(1e-6, Math.sqrt(Math.max(0, sq[s] / n[s] - m * m)));
        }
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

    /** Fills {@code patch} with the mirrored neighbourhood of (y, x), channel-major. */
    private static void neighbourhood(Features f, int k, int y, int x, float[] patch) {
        int r = k / 2;
        int i = 0;
        int h = f.height();
        int w = f.width();
        for (int c = 0; c < f.channels(); c++) {
            int base = c * h * w;
            for (int dy = -r; dy <= r; dy++) {
                int yy = mirror(y + dy, h) * w;
                for (int dx = -r; dx <= r; dx++) {
                    patch[i++] = f.values()[base + yy + mirror(x + dx, w)];
                }
            }
        }
    }

    private static int mirror(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * n - 2;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    /** DC filter plus the leading principal components of mean-removed neighbourhoods. */
    private void learnFilters(Stage st, List<Features> inputs, Random random) {
        int d = st.dim();
        int positions = st.height * st.width;
        int perImage = Math.max(1, Math.min(positions, cfg.maxFitPatches() / inputs.size()));
        double[] mean = new double[d];
        double[] cov = new double[d * d];
        float[] patch = new float[d];
        double[] ac = new double[d];
        long count = 0;
        List<double[]> rows = new ArrayList<>();
        for (Features f : inputs) {
            for (int j = 0; j < perImage; j++) {
                int p = perImage == positions ? j : random.nextInt(positions);
                neighbourhood(f, st.kernel, p / st.width, p % st.width, patch);
                double dc = 0;
                for (float v : patch) {
                    dc += v;
                }
                dc /= d;
                double[] row = new double[d];
                for (int i = 0; i < d; i++) {
                    row[i] = patch[i] - dc;
                    mean[i] += row[i];
                }
                rows.add(row);
                count++;
            }
        }
        for (int i = 0; i < d; i++) {
            mean[i] /= count;
        }
        for (double[] row : rows) {
            for (int i = 0; i < d; i++) {
                ac[i] = row[i] - mean[i];
            }
            for (int i = 0; i < d; i++) {
                double ai = ac[i];
                for (int j = i; j < d; j++) {
                    cov[i * d + j] += ai * ac[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                cov[i * d + j] /= Math.max(1, count - 1);
                cov[j * d + i] = cov[i * d + j];
            }
        }
        double[][] eig = SymmetricMatrices.eigen(cov, d);
        st.filters = new float[st.outChannels * d];
        for (int i = 0; i < d; i++) {
            st.filters[i] = (float) (1 / Math.sqrt(d));
        }
        for (int j = 1; j < st.outChannels; j++) {
            for (int i = 0; i < d; i++) {
                st.filters[j * d + i] = (float) eig[1][i * d + (j - 1)];
            }
        }
        st.center = new float[d];
        for (int i = 0; i < d; i++) {
            st.center[i] = (float) mean[i];
        }
    }

    /** The stage's filter responses at every position of its input. */
    private static Features respond(Stage st, Features in) {
        int d = st.dim();
        int h = in.height();
        int w = in.width();
        float[] out = new float[st.outChannels * h * w];
        float[] patch = new float[d];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                neighbourhood(in, st.kernel, y, x, patch);
                double dc = 0;
                for (float v : patch) {
                    dc += v;
                }
                out[y * w + x] = (float) (dc / Math.sqrt(d));
                dc /= d;
                for (int i = 0; i < d; i++) {
                    patch[i] = (float) (patch[i] - dc - st.center[i]);
                }
                for (int j = 1; j < st.outChannels; j++) {
                    double s = 0;
                    int base = j * d;
                    for (int i = 0; i < d; i++) {
                        s += st.filters[base + i] * patch[i];
                    }
                    out[(j * h + y) * w + x] = (float) s;
                }
            }
        }
        return new Features(out, st.outChannels, h, w);
    }

    private static Features maxPool(Features f) {
        int h = f.height() / 2;
        int w = f.width() / 2;
        float[] out = new float[f.channels() * h * w];
        for (int c = 0; c < f.channels(); c++) {
            int base = c * f.height() * f.width();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = base + 2 * y * f.width() + 2 * x;
                    float m = Math.max(Math.max(f.values()[p], f.values()[p + 1]),
                            Math.max(f.values()[p + f.width()], f.values()[p + f.width() + 1]));
                    out[(c * h + y) * w + x] = m;
                }
            }
        }
        return new Features(out, f.channels(), h, w);
    }

    /** Per-position (window-pooled) Gaussians with shrinkage, stored as mean and Cholesky factor. */
    private void learnGaussians(Stage st, List<Features> responses) {
        int n = st.outChannels;
        int h = st.height;
        int w = st.width;
        int positions = h * w;
        int stride = n + n * n;
        double[] sums = new double[positions * stride];
        for (Features f : responses) {
            float[] v = f.values();
            for (int p = 0; p < positions; p++) {
                int base = p * stride;
                for (int i = 0; i < n; i++) {
                    double xi = v[i * positions + p];
                    sums[base + i] += xi;
                    for (int j = i; j < n; j++) {
                        sums[base + n + i * n + j] += xi * v[j * positions + p];
                    }
                }
            }
        }
        double[] counts = new double[positions];
        java.util.Arrays.fill(counts, responses.size());
        int r = cfg.window();
        st.global = r < 0 || r >= Math.max(h, w);
        if (st.global) {
            double[] total = new double[stride];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < stride; i++) {
                    total[i] += sums[p * stride + i];
                }
            }
            sums = total;
            counts = new double[] {(double) responses.size() * positions};
        } else if (r > 0) {
            sums = boxSum(sums, stride, h, w, r);
            counts = boxSum(counts, 1, h, w, r);
        }
        int cells = st.global ? 1 : positions;
        double[] pooled = sums;
        double[] pooledCounts = counts;
        st.mean = new float[cells * n];
        st.chol = new float[cells * n * n];
        IntStream.range(0, cells).parallel().forEach(p -> {
            int base = p * stride;
            double c = pooledCounts[p];
            double[] cov = new double[n * n];
            double trace = 0;
            for (int i = 0; i < n; i++) {
                st.mean[p * n + i] = (float) (pooled[base + i] / c);
            }
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double m = pooled[base + n + i * n + j] / c - (pooled[base + i] / c) * (pooled[base + j] / c);
                    cov[i * n + j] = m;
                    cov[j * n + i] = m;
                }
                trace += cov[i * n + i];
            }
            double s = cfg.shrinkage();
            double floor = Math.max(trace / n, 1e-6) * 1e-3 + 1e-9;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    cov[i * n + j] *= 1 - s;
                }
                cov[i * n + i] += s * trace / n + floor;
            }
            SymmetricMatrices.cholesky(cov, n, st.chol, p * n * n);
        });
    }

    /** Sums every channel over a (2r+1)^2 window of positions (clipped at the border). */
    private static double[] boxSum(double[] data, int channels, int h, int w, int r) {
        double[] rows = new double[data.length];
        for (int y = 0; y < h; y++) {
            for (int c = 0; c < channels; c++) {
                double acc = 0;
                for (int x = 0; x < Math.min(w, r); x++) {
                    acc += data[(y * w + x) * channels + c];
                }
                for (int x = 0; x < w; x++) {
                    if (x + r < w) {
                        acc += data[(y * w + x + r) * channels + c];
                    }
                    if (x - r - 1 >= 0) {
                        acc -= data[(y * w + x - r - 1) * channels + c];
                    }
                    rows[(y * w + x) * channels + c] = acc;
                }
            }
        }
        double[] out = new double[data.length];
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < channels; c++) {
                double acc = 0;
                for (int y = 0; y < Math.min(h, r); y++) {
                    acc += rows[(y * w + x) * channels + c];
                }
                for (int y = 0; y < h; y++) {
                    if (y + r < h) {
                        acc += rows[((y + r) * w + x) * channels + c];
                    }
                    if (y - r - 1 >= 0) {
                        acc -= rows[((y - r - 1) * w + x) * channels + c];
                    }
                    out[(y * w + x) * channels + c] = acc;
                }
            }
        }
        return out;
    }

    /** Raw Mahalanobis distance maps, one per stage at the stage's resolution. */
    private List<float[]> stageDistances(float[] input, int channels) {
        List<float[]> out = new ArrayList<>();
        Features f = new Features(input, channels, cfg.imageSize(), cfg.imageSize());
        for (int s = 0; s < stages.size(); s++) {
            Stage st = stages.get(s);
            Features r = respond(st, f);
            int n = st.outChannels;
            int positions = r.height() * r.width();
            float[] dist = new float[positions];
            double[] work = new double[n];
            for (int p = 0; p < positions; p++) {
                int cell = st.global ? 0 : p;
                dist[p] = (float) SymmetricMatrices.mahalanobis(r.values(), p, positions, st.mean, cell * n, st.chol,
                        cell * n * n, n, work);
            }
            out.add(dist);
            if (s + 1 < stages.size()) {
                f = maxPool(r);
            }
        }
        return out;
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        int size = cfg.imageSize();
        int channels = preprocessing().channels();
        int per = channels * size * size;
        float[] input = batch.tensor().toFloatArray();
        return IntStream.range(0, batch.images().size()).parallel().mapToObj(b -> {
            List<float[]> dist = stageDistances(Arrays.copyOfRange(input, b * per, (b + 1) * per), channels);
            float[] sum = new float[size * size];
            for (int s = 0; s < stages.size(); s++) {
                Stage st = stages.get(s);
                float[] z = dist.get(s).clone();
                for (int i = 0; i < z.length; i++) {
                    z[i] = (z[i] - st.distMean) / st.distStd;
                }
                float[] up = new AnomalyMap(st.height, st.width, z).resize(size, size, false).valuesView();
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += up[i] / stages.size();
                }
            }
            return RawOutput.mapMax(new AnomalyMap(size, size, sum));
        }).toList();
    }

    @Override
    protected void describe(ObjectNode provenance) {
        ArrayNode a = provenance.putArray("stage_filters");
        for (Stage s : stages) {
            a.add(s.outChannels);
        }
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        ArrayNode list = state.putArray("stages");
        for (int s = 0; s < stages.size(); s++) {
            Stage st = stages.get(s);
            ObjectNode n = list.addObject();
            n.put("kernel", st.kernel);
            n.put("in_channels", st.inChannels);
            n.put("out_channels", st.outChannels);
            n.put("height", st.height);
            n.put("width", st.width);
            n.put("global", st.global);
            n.put("dist_mean", st.distMean);
            n.put("dist_std", st.distStd);
            int cells = st.global ? 1 : st.height * st.width;
            writer.putTensor("stage" + s + "_filters", st.filters, st.outChannels, st.dim());
            writer.putTensor("stage" + s + "_center", st.center, st.dim());
            writer.putTensor("stage" + s + "_mean", st.mean, cells, st.outChannels);
            writer.putTensor("stage" + s + "_chol", st.chol, cells, st.outChannels, st.outChannels);
        }
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        stages.clear();
        JsonNode list = state.path("stages");
        if (!list.isArray() || list.isEmpty()) {
            throw new IOException("Model " + reader.directory() + " has no filter-bank stages");
        }
        for (int s = 0; s < list.size(); s++) {
            JsonNode n = list.get(s);
            Stage st = new Stage();
            st.kernel = n.path("kernel").asInt();
            st.inChannels = n.path("in_channels").asInt();
            st.outChannels = n.path("out_channels").asInt();
            st.height = n.path("height").asInt();
            st.width = n.path("width").asInt();
            st.global = n.path("global").asBoolean();
            st.distMean = (float) n.path("dist_mean").asDouble();
            st.distStd = (float) n.path("dist_std").asDouble();
            int cells = st.global ? 1 : st.height * st.width;
            st.filters = tensor(reader, "stage" + s + "_filters", st.outChannels * st.dim());
            st.center = tensor(reader, "stage" + s + "_center", st.dim());
            st.mean = tensor(reader, "stage" + s + "_mean", cells * st.outChannels);
            st.chol = tensor(reader, "stage" + s + "_chol", cells * st.outChannels * st.outChannels);
            stages.add(st);
        }
    }

    private static float[] tensor(ModelReader reader, String name, int expected) throws IOException {
        Npy.Array a = reader.tensor(name);
        if (a.data().length != expected) {
            throw new IOException("Model " + reader.directory() + ": tensor " + name + " has " + a.data().length
                    + " values, expected " + expected);
        }
        return a.data();
    }
}
