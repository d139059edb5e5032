package dev.anomalysdk.teacher.mkd;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.components.NoGrad;
import dev.anomalysdk.teacher.components.TrainingImages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MKD, Multiresolution Knowledge Distillation (Salehi, Sadjadi, Baselizadeh, Rohban, Rabiee,
 * "Multiresolution Knowledge Distillation for Anomaly Detection", CVPR 2021).
 *
 * <p>A frozen source network (ImageNet VGG-16) and a smaller VGG-like cloner trained from scratch on normal
 * images both see the image (scaled to [0, 1], not normalized, as the official loader does). The cloner
 * learns the source's max-pooled outputs of several blocks (2-5 by default): for each, the loss is the
 * direction loss {@code 1 - cos} between the flattened maps plus {@code lambda} times their mean squared
 * difference, summed over the blocks ({@link MkdLoss}). The image score is that loss for the image. The
 * anomaly map is the gradient of the image's loss with respect to its pixels, absolute, summed over colour
 * channels, scaled per image between its minimum and 99th percentile and smoothed with a Gaussian (sigma 4)
 * ({@link InputGradients}). By default the gradient is guided through the cloner, as the official
 * {@code gbp} method (only positive gradients pass the cloner's ReLUs; plain through the source);
 * {@code localization=gradients} gives the plain gradient (official {@code gradients}).
 *
 * <p>Prediction runs backward passes, so it costs several forward passes. Thread safety: see
 * {@link BaseDetector}; in addition, DJL allows one gradient collector per JVM, so predictions of all MKD
 * detectors in a JVM run one at a time, and must not overlap another detector's training.
 */
public final class MkdDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(MkdDetector.class);
    /** The registered name. */
    public static final String NAME = "mkd";
    private static final String CLONER_FILE = "cloner.params";
    private final MkdOptions cfg;
    private MkdSource source;
    private Model clonerModel;
    private VggNetwork cloner;
    private TrainingLoop.Result training;
    private int trainImages;

    MkdDetector(Config config) {
        this(config, MkdOptions.of(config));
    }

    private MkdDetector(Config config, MkdOptions options) {
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers MKD as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "MKD (Salehi et al., CVPR 2021): a small VGG cloner learns a frozen VGG-16's multi-scale "
                    + "features; the image score is their discrepancy, the map its gradient with respect to the "
                    + "pixels", MkdOptions.PARAMS, MkdDetector::new);
        }
    }

    @Override
    protected int inferenceBatchSize() {
        return Math.min(cfg.batchSize(), 16);
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        closeNetworks();
        Device device = DjlEnvironment.device(cfg.device());
        source = MkdSource.open(cfg.backbone(), cfg.blocks(), cfg.seed(), device, cfg.imageSize());
        if (!source.isPretrained()) {
            LOG.warn("mkd needs an ImageNet-pretrained VGG-16 source, but {} has random weights: scores on real "
                    + "images will be near-useless. Export one with `python tools/export_backbone.py --model vgg16 "
                    + "--layers {} --out vgg16.pt` and pass `--set backbone=vgg16.pt` (docs/detectors/mkd.md).",
                    source.identity(), String.join(" ", MkdSource.layerNames(cfg.blocks())));
        }
        TrainingImages images = TrainingImages.load(train, preprocessing(), cfg.batchSize(), progress);
        trainImages = images.size();
        Shape inputShape = new Shape(1, 3, cfg.imageSize(), cfg.imageSize());
        cloner = VggNetwork.cloner(cfg.clonerWidth(), source.baseWidth(), cfg.blocks());
        clonerModel = Model.newInstance("mkd_cloner", device);
        clonerModel.setBlock(cloner);
        // Xavier-uniform weights as the official cloner; the training loop keeps initialized parameters.
        // The seed differs from a random source's so that the two never start alike.
        cloner.setInitializer(new XavierUniform(cfg.seed() + 1), Parameter.Type.WEIGHT);
        cloner.initialize(clonerModel.getNDManager(), DataType.FLOAT32, inputShape);
        training = TrainingLoop.fit(clonerModel, new Shape[] {inputShape}, cfg.schedule(), TrainingControl.from(config()),
                new Task(images), null, progress);
        // Inference needs gradients for the input only.
        cloner.freezeParameters(true);
    }

    /** Images as cloner input, the source's maps as targets; loss = batch mean of {@link MkdLoss}. */
    private final class Task implements TrainingLoop.Task {
        private final TrainingImages images;

        Task(TrainingImages images) {
            this.images = images;
        }

        @Override
        public int stepsPerEpoch() {
            return images.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            NDArray x = images.next(scope, random);
            try (NoGrad g = NoGrad.enter()) {
                return new TrainingLoop.Batch(new NDList(x), source.features(x));
            }
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return MkdLoss.perSample(labels, predictions, cfg.lambda()).mean();
        }
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        NDArray input = batch.tensor().toDevice(clonerModel.getNDManager().getDevice(), false);
        InputGradients.Result r = cfg.localization() == MkdOptions.Localization.GUIDED
                ? InputGradients.guided(input, source::features, cloner, cfg.lambda())
                : InputGradients.compute(input, x -> MkdLoss.perSample(source.features(x), cloner.features(x),
                        cfg.lambda()));
        int c = Math.toIntExact(input.getShape().get(1));
        int h = Math.toIntExact(input.getShape().get(2));
        int w = Math.toIntExact(input.getShape().get(3));
        int per = c * h * w;
        boolean normalize = cfg.mapNormalization() == MkdOptions.MapNormalization.PER_IMAGE;
        int n = batch.images().size();
        List<RawOutput> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] g = Arrays.copyOfRange(r.gradient(), i * per, (i + 1) * per);
            // The score is the image's loss; the core smooths the map (map_sigma).
            out.add(RawOutput.of(r.losses()[i], new AnomalyMap(h, w, InputGradients.map(g, c, normalize))));
        }
        return out;
    }

    /** @return the last fit's per-epoch log, or {@code null} for a loaded detector */
    public TrainingLoop.Result trainingResult() {
        return training;
    }

    /** Arrays held by the cloner's manager (parameters and their training state), for memory tests. */
    int clonerArrayCount() {
        return clonerModel.getNDManager().getManagedArrays().size();
    }

    /** Arrays held by the detector's own manager, for memory tests. */
    int detectorArrayCount() {
        return manager().getManagedArrays().size();
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", source.identity());
        provenance.put("backbone_pretrained", source.isPretrained());
        if (training != null) {
            training.describe(provenance, Math.min(cfg.batchSize(), trainImages));
        }
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        source.save(writer, state);
        writer.putBytes(CLONER_FILE, TrainingLoop.parameterBytes(cloner));
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeNetworks();
        Device device = DjlEnvironment.device(cfg.device());
        source = MkdSource.restore(reader, state, cfg.blocks(), device);
        cloner = VggNetwork.cloner(cfg.clonerWidth(), source.baseWidth(), cfg.blocks());
        clonerModel = Model.newInstance("mkd_cloner", device);
        clonerModel.setBlock(cloner);
        try {
            TrainingLoop.restoreParameters(cloner, clonerModel.getNDManager(), reader.bytes(CLONER_FILE));
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot load " + reader.directory() + "/files/" + CLONER_FILE + ": "
                    + e.getMessage(), e);
        }
        cloner.freezeParameters(true);
    }

    private void closeNetworks() {
        if (source != null) {
            source.close();
            source = null;
        }
        if (clonerModel != null) {
            clonerModel.close();
            clonerModel = null;
        }
        cloner = null;
    }

    @Override
    public void close() {
        closeNetworks();
        super.close();
    }
}
