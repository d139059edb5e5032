package dev.anomalysdk.reconstruction.dsr;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
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
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.synthesis.DraemAugmenter;
import dev.anomalysdk.core.synthesis.PerlinAnomaly;
import dev.anomalysdk.core.synthesis.TextureSource;
import dev.anomalysdk.core.training.SeededInitializer;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.reconstruction.components.AugmentedSampler;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.ReconstructionTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DSR, the dual subspace re-projection network (Zavrtanik, Kristan, Skocaj, ECCV 2022), trained in three stages
 * on normal images only:
 * <ol>
 *   <li>the discrete latent model ({@link VqModel}, two codebooks): loaded from {@code vq_model} (the official
 *       ImageNet-pretrained model, converted by {@code tools/convert_dsr_vq.py}) or trained on the training
 *       images (L2 reconstruction + 0.25 commitment per codebook, EMA codebooks with dead-code restarts) and
 *       then frozen;</li>
 *   <li>the subspace restriction modules, the object-specific decoder and the anomaly detection module, on
 *       anomalies made in the quantized feature space under Perlin masks ({@link QuantizedAnomalies});
 *       loss {@code L2} on the restored features, {@code 10 L2} on the object-specific image, focal loss on the
 *       mask; Adam, learning rate x0.1 at 80 % of the epochs (official);</li>
 *   <li>the upsampling module, on images with a random colour blended under a Perlin mask, focal loss against
 *       the full-resolution mask, constant learning rate.</li>
 * </ol>
 * Images are RGB in [0, 1] (no ImageNet normalization). Inference: the anomaly map is the upsampling module's
 * anomalous-class probability; the image score is the maximum of the anomaly detection module's probability
 * average-pooled over {@code score_pool} (21) pixels, as in the official test script.
 *
 * <p>Takes the shared training-control keys ({@link TrainingControl}). With {@code checkpoint_dir}, every stage
 * checkpoints in its own subdirectory ({@link StageCheckpoints}): a fit started again skips the stages that
 * finished and resumes the one in progress. {@code patience} has no effect: DSR does not validate.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class DsrDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(DsrDetector.class);
    /** Standard deviation of the initial weights of the object decoder and anomaly detection module. */
    static final double INIT_STD = 0.02;
    /** Below this many training images, a VQ model trained on them gets a warning. */
    static final int FEW_VQ_IMAGES = 1000;
    /** Probability of rotating a normal image by up to +-90 degrees in stage 2 (official 0.4). */
    static final double RESTORATION_ROTATE = 0.4;
    /** Probability of rotating a normal image in stage 3 (official 0.3). */
    static final double UPSAMPLING_ROTATE = 0.3;
    /** Probability of a training sample without anomaly (official 0.5). */
    static final double CLEAN = 0.5;
    private static final String PARAMS = "network.params";
    /** The training stages in order. */
    static final List<String> STAGES = List.of("vq", "restoration", "upsampling");

    /** The registered name. */
    public static final String NAME = "dsr";

    private final DsrOptions cfg;
    private Model model;
    private DsrNetwork network;
    private String vqSource;
    private final Map<String, TrainingLoop.Result> stages = new LinkedHashMap<>();
    private boolean untrained;
    /** Checkpoints of the running fit, or null without {@code checkpoint_dir}. */
    private StageCheckpoints checkpoints;
    /** The fingerprint of the running fit up to the last stage started (each stage's extends the previous). */
    private String fingerprint;

    DsrDetector(Config config) {
        this(config, DsrOptions.of(config));
    }

    private DsrDetector(Config config, DsrOptions options) {
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers DSR as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "DSR (Zavrtanik et al. 2022): dual-subspace re-projection on a two-codebook VQ model, trained "
                    + "on anomalies made in the quantized feature space", DsrOptions.PARAMS, DsrDetector::new);
        }
    }

    private Device device() {
        return DjlEnvironment.device(cfg.device());
    }

    private Shape inputShape() {
        return new Shape(1, 3, cfg.imageSize(), cfg.imageSize());
    }

    /**
     * Fits without any optimizer step in any stage (a loaded {@code vq_model} is still loaded): the untrained
     * baseline for checking that training helps.
     *
     * @param data the training (and validation) images
     */
    public synchronized void fitUntrained(FitData data) {
        untrained = true;
        try {
            fit(data);
        } finally {
            untrained = false;
        }
    }

    /**
     * @return the training logs of the last fit by stage, in training order ({@code vq} unless a
     *     {@code vq_model} was loaded, {@code restoration}, {@code upsampling})
     */
    public Map<String, TrainingLoop.Result> stageResults() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(stages));
    }

    /** @return the training log of stage 2 of the last fit, empty after loading or an untrained fit */
    public Optional<TrainingLoop.Result> trainingResult() {
        return Optional.ofNullable(stages.get("restoration"));
    }

    /**
     * Writes the fitted VQ model in the {@code vq_model} format, e.g. to reuse a VQ model trained on one
     * category's images for another.
     *
     * @param directory where to write (created)
     */
    public synchronized void exportVqModel(Path directory) throws IOException {
        if (network == null) {
            throw new IllegalStateException(name() + ": not fitted");
        }
        VqFiles.save(directory, network.vq(), cfg.architecture(vqSource));
    }

    private DsrNetwork newNetwork() {
        VqModel vq = new VqModel(cfg.hidden(), cfg.residualHidden(), cfg.residualLayers(), cfg.codebookSize(),
                cfg.embeddingDim(), cfg.seed());
        return new DsrNetwork(vq, cfg.embeddingDim(), cfg.hidden(), cfg.residualHidden(), cfg.residualLayers(),
                cfg.detectionWidth(), cfg.upsamplingWidth());
    }

    private void newModel() {
        closeModel();
        model = Model.newInstance(name(), device());
        network = newNetwork();
        model.setBlock(network);
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException(name() + ": no training images");
        }
        Path vqPath = cfg.vqModel() == null ? null : Path.of(cfg.vqModel());
        if (vqPath != null) {
            checkArchitecture(vqPath);
        }
        List<ImageData> images = NetworkDetector.preprocessedImages(train, preprocessing(), progress);
        stages.clear();
        newModel();
        initializeWeights();
        if (vqPath != null) {
            try {
                VqFiles.load(vqPath, network.vq());
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
            vqSource = vqPath.toAbsolutePath() + " (" + describeArchitecture(vqPath) + ")";
        } else {
            vqSource = "trained on " + images.size() + " training images";
            if (images.size() < FEW_VQ_IMAGES) {
                LOG.warn("{}: no vq_model given, so the VQ model is trained on only {} normal images; DSR's "
                        + "official VQ model is trained on ImageNet, and codebooks learned from few images may "
                        + "not represent defects well. Convert the official model with tools/convert_dsr_vq.py "
                        + "and pass it with --set vq_model=DIR", name(), images.size());
            }
        }
        if (untrained) {
            LOG.info("{}: untrained fit (initial weights only)", name());
            return;
        }
        TrainingControl control = TrainingControl.from(config());
        checkpoints = control.checkpointDirectory() == null ? null : new StageCheckpoints(control);
        fingerprint = runFingerprint(images);
        try {
            trainStages(images, vqPath == null, progress);
            if (checkpoints != null) {
                checkpoints.deleteAll(STAGES);
            }
        } finally {
            checkpoints = null;
            fingerprint = null;
        }
    }

    private void trainStages(List<ImageData> images, boolean trainVq, ProgressListener progress) {
        double totalEpochs = cfg.epochs() + cfg.upsamplingEpochs() + (trainVq ? cfg.vqEpochs() : 0);
        int batch = cfg.batchSize();
        if (trainVq) {
            freeze(true, network.stageTwoModules());
            freeze(true, network.upsampling());
            network.vq().updating(true);
            try {
                runStage("vq", network.vq(), schedule(cfg.vqEpochs(), totalEpochs, TrainingSchedule.Decay.CONSTANT),
                        epochLength(new ReconstructionTask(images, batch, DsrStages::vqLoss)), progress);
            } finally {
                network.vq().updating(false);
            }
        }
        network.vq().freezeParameters(true);
        freeze(false, network.stageTwoModules());
        freeze(true, network.upsampling());
        int side = cfg.imageSize();
        runStage("restoration", new DsrStages.Restoration(network),
                schedule(cfg.epochs(), totalEpochs, TrainingSchedule.Decay.MULTI_STEP),
                epochLength(new RestorationTask(images, batch, side / 8, side / 4, cfg.codebookSize())), progress);
        freeze(true, network.stageTwoModules());
        freeze(false, network.upsampling());
        runStage("upsampling", new DsrStages.Upsampling(network),
                schedule(cfg.upsamplingEpochs(), totalEpochs, TrainingSchedule.Decay.CONSTANT),
                epochLength(new UpsamplingTask(images, batch)), progress);
    }

    /**
     * What a resumed fit must share with the interrupted one before any stage: the settings (but the
     * training-control keys), the VQ model's source, the network's parameter shapes and the training images.
     */
    private String runFingerprint(List<ImageData> images) {
        Map<String, String> settings = new java.util.TreeMap<>(config().asStrings());
        TrainingControl.PARAMS.forEach(p -> settings.remove(p.key()));
        StringBuilder sb = new StringBuilder(settings.toString()).append("|vq=").append(vqSource);
        network.getParameters().forEach(p -> sb.append('|').append(p.getKey()).append(p.getValue().getArray().getShape()));
        long h = 17;
        for (ImageData img : images) {
            h = 31 * h + Arrays.hashCode(img.pixelsView());
        }
        return sb.append("|images=").append(images.size()).append('/').append(Long.toHexString(h)).toString();
    }
    /**
     * The official data sets have a fixed length of 8000 samples whatever the number of images, so an epoch is
     * 1000 steps at batch 8; {@code samples_per_epoch} reproduces that (0 = one pass over the images).
     */
    private TrainingLoop.Task epochLength(TrainingLoop.Task task) {
        if (cfg.samplesPerEpoch() == 0) {
            return task;
        }
        int steps = Math.max(1, (cfg.samplesPerEpoch() + cfg.batchSize() - 1) / cfg.batchSize());
        return new TrainingLoop.Task() {
            @Override
            public int stepsPerEpoch() {
                return steps;
            }

            @Override
            public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
                return task.nextBatch(scope, random);
            }

            @Override
            public NDArray loss(NDList predictions, NDList labels) {
                return task.loss(predictions, labels);
            }
        };
    }

    private static void freeze(boolean frozen, Block... blocks) {
        for (Block b : blocks) {
            b.freezeParameters(frozen);
        }
    }

    /** Official schedules: stage 2 multiplies the rate by 0.1 at 80 %; the others keep it constant. */
    private TrainingSchedule schedule(int epochs, double totalEpochs, TrainingSchedule.Decay decay) {
        double minutes = cfg.maxMinutes() * epochs / totalEpochs;
        return new TrainingSchedule(epochs, minutes, TrainingSchedule.Optimizer.ADAM, cfg.learningRate(), decay,
                decay == TrainingSchedule.Decay.MULTI_STEP ? List.of(0.8) : List.of(), 0.1, 0, 0, 0, 1, cfg.seed());
    }

    /**
     * Trains one stage, or restores it from the checkpoint of an earlier fit that finished it. With
     * {@code checkpoint_dir}, the stage writes epoch checkpoints (an interrupted stage resumes from them) and,
     * when it ends, a checkpoint of the whole network that later fits skip the stage with.
     */
    private void runStage(String stage, Block block, TrainingSchedule schedule, TrainingLoop.Task task,
            ProgressListener progress) {
        fingerprint = fingerprint + "|" + stage + ": " + schedule + ", " + task.stepsPerEpoch() + " steps per epoch";
        if (checkpoints != null) {
            Optional<TrainingLoop.Result> done = checkpoints.restore(stage, fingerprint, network, model.getNDManager());
            if (done.isPresent()) {
                stages.put(stage, done.get());
                LOG.info("{}: stage {} restored from its checkpoint (finished earlier)", name(), stage);
                return;
            }
        }
        LOG.info("{}: stage {}", name(), stage);
        TrainingControl control = checkpoints == null ? TrainingControl.from(config())
                : checkpoints.control(stage, fingerprint);
        // A Model per stage gives each stage its own trainer; the parameters stay in the detector's model.
        try (Model m = Model.newInstance(name() + "-" + stage, device())) {
            m.setBlock(block);
            TrainingLoop.Result r = TrainingLoop.fit(m, new Shape[] {inputShape()}, schedule, control, task, null,
                    (what, done, total) -> progress.update(stage + " " + what, done, total));
            stages.put(stage, r);
            LOG.info("{}: stage {} trained {} steps in {} s; loss {} -> {}", name(), stage, r.steps(),
                    String.format(Locale.ROOT, "%.1f", r.seconds()),
                    String.format(Locale.ROOT, "%.4f", r.firstLoss()),
                    String.format(Locale.ROOT, "%.4f", r.lastLoss()));
        }
        if (checkpoints != null) {
            checkpoints.finish(stage, fingerprint, network, stages.get(stage));
        }
    }

    private void initializeWeights() {
        NDManager manager = model.getNDManager();
        network.setInitializer(new SeededInitializer(cfg.seed()), Parameter.Type.WEIGHT);
        Random random = new Random(cfg.seed() + 1);
        for (Block b : network.gaussianInitialized()) {
            b.setInitializer((m, shape, type) -> {
                float[] w = new float[Math.toIntExact(shape.size())];
                synchronized (random) {
                    for (int i = 0; i < w.length; i++) {
                        w[i] = (float) (random.nextGaussian() * INIT_STD);
                    }
                }
                return m.create(w, shape).toType(type, false);
            }, Parameter.Type.WEIGHT);
        }
        network.initialize(manager, DataType.FLOAT32, inputShape());
    }

    private void checkArchitecture(Path dir) {
        VqFiles.Architecture a;
        try {
            a = VqFiles.Architecture.read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        int[][] pairs = {{a.hidden(), cfg.hidden()}, {a.residualHidden(), cfg.residualHidden()},
            {a.residualLayers(), cfg.residualLayers()}, {a.embeddingDim(), cfg.embeddingDim()},
            {a.codebookSize(), cfg.codebookSize()}};
        String[] keys = {"hidden", "residual_hidden", "residual_layers", "embedding_dim", "codebook_size"};
        for (int i = 0; i < keys.length; i++) {
            if (pairs[i][0] != pairs[i][1]) {
                throw new IllegalArgumentException("Invalid value for '" + keys[i] + "': " + pairs[i][1]
                        + ", but the vq_model " + dir + " has " + keys[i] + " " + pairs[i][0]);
            }
        }
    }

    private static String describeArchitecture(Path dir) {
        try {
            VqFiles.Architecture a = VqFiles.Architecture.read(dir);
            return a.codebookSize() + " codes x " + a.embeddingDim() + (a.source().isEmpty() ? "" : ", " + a.source());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** A random uniform colour (official stage 3 anomaly source; the mask alone matters in stage 2). */
    static final TextureSource SOLID_COLOUR = new TextureSource() {
        @Override
        public ImageData texture(int height, int width, Random random) {
            float[] rgb = {random.nextFloat(), random.nextFloat(), random.nextFloat()};
            int plane = height * width;
            float[] p = new float[3 * plane];
            for (int c = 0; c < 3; c++) {
                Arrays.fill(p, c * plane, (c + 1) * plane, rgb[c]);
            }
            return new ImageData(3, height, width, p, "colour");
        }

        @Override
        public String describe() {
            return "random uniform colours";
        }
    };

    /** Stage-2 batches: rotated normal images, Perlin masks, replacement-code ranks and levels to change. */
    static final class RestorationTask implements TrainingLoop.Task {
        private final AugmentedSampler sampler;
        private final int lo;
        private final int hi;
        private final int codes;

        RestorationTask(List<ImageData> images, int batch, int lo, int hi, int codes) {
            this.sampler = new AugmentedSampler(images,
                    new DraemAugmenter(new PerlinAnomaly(SOLID_COLOUR, 0), RESTORATION_ROTATE, CLEAN), batch);
            this.lo = lo;
            this.hi = hi;
            this.codes = codes;
        }

        @Override
        public int stepsPerEpoch() {
            return sampler.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            DraemAugmenter.TrainingPair[] pairs = sampler.next(random);
            int n = pairs.length;
            ImageData first = pairs[0].normal();
            int s = first.height();
            NDArray image = scope.create(AugmentedSampler.pixels(pairs, false), new Shape(n, 3, s, s));
            NDArray mask = scope.create(AugmentedSampler.masks(pairs), new Shape(n, 1, s, s));
            long[] loRanks = QuantizedAnomalies.ranks(n, lo * lo, codes, random);
            long[] hiRanks = QuantizedAnomalies.ranks(n, hi * hi, codes, random);
            float[] useLo = new float[n];
            float[] useHi = new float[n];
            for (int i = 0; i < n; i++) {
                // Official: both levels with probability 1/2, otherwise the low or the high level alone.
                boolean both = random.nextBoolean();
                boolean loOnly = !both && random.nextBoolean();
                useLo[i] = both || loOnly ? 1 : 0;
                useHi[i] = both || !loOnly ? 1 : 0;
            }
            NDList inputs = new NDList(image, mask, scope.create(loRanks, new Shape(loRanks.length, 1)),
                    scope.create(hiRanks, new Shape(hiRanks.length, 1)), scope.create(useLo, new Shape(n, 1, 1, 1)),
                    scope.create(useHi, new Shape(n, 1, 1, 1)));
            return new TrainingLoop.Batch(inputs, new NDList(image));
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return DsrStages.Restoration.loss(predictions, labels);
        }
    }

    /** Stage-3 batches: images with a random colour blended under a Perlin mask, and the mask. */
    static final class UpsamplingTask implements TrainingLoop.Task {
        private final AugmentedSampler sampler;

        UpsamplingTask(List<ImageData> images, int batch) {
            this.sampler = new AugmentedSampler(images,
                    new DraemAugmenter(new PerlinAnomaly(SOLID_COLOUR, 0), UPSAMPLING_ROTATE, CLEAN), batch);
        }

        @Override
        public int stepsPerEpoch() {
            return sampler.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            DraemAugmenter.TrainingPair[] pairs = sampler.next(random);
            int n = pairs.length;
            int s = pairs[0].normal().height();
            return new TrainingLoop.Batch(
                    new NDList(scope.create(AugmentedSampler.pixels(pairs, true), new Shape(n, 3, s, s))),
                    new NDList(scope.create(AugmentedSampler.masks(pairs), new Shape(n, 1, s, s))));
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return DsrStages.Upsampling.loss(predictions, labels);
        }
    }

    /** @return the fitted network, for tests (null before fitting or loading) */
    DsrNetwork network() {
        return network;
    }

    /** Arrays held by the detector's manager and by the network's, for memory tests. */
    int[] arrayCounts() {
        return new int[] {manager().getManagedArrays().size(), model.getNDManager().getManagedArrays().size()};
    }

    /** The refined mask is the map (not smoothed); the score is the pooled maximum of the coarse mask. */
    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        NDArray input = batch.tensor().toDevice(device(), false);
        NDList out = network.forward(new ParameterStore(batch.manager(), false), new NDList(input), false);
        NDArray detected = out.get(0).softmax(1);
        NDArray refined = out.get(1).softmax(1);
        int n = batch.images().size();
        int h = (int) input.getShape().get(2);
        int w = (int) input.getShape().get(3);
        List<RawOutput> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            AnomalyMap coarse = new AnomalyMap(h, w, NetworkDetector.plane(detected, i, 1));
            results.add(RawOutput.of(coarse.averagePool(cfg.scorePool()).max(),
                    new AnomalyMap(h, w, NetworkDetector.plane(refined, i, 1))));
        }
        return results;
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        writer.putBytes(PARAMS, TrainingLoop.parameterBytes(network));
        state.put("network", network.toString());
        state.put("vq_model", vqSource);
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        if (!reader.has(PARAMS)) {
            throw new IOException("Model " + reader.directory() + " has no " + PARAMS);
        }
        stages.clear();
        newModel();
        TrainingLoop.initialize(network, model.getNDManager(), 0, inputShape());
        try {
            TrainingLoop.restoreParameters(network, model.getNDManager(), reader.bytes(PARAMS));
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + reader.directory() + ": " + e.getMessage()
                    + " (does the configuration match the saved network?)", e);
        }
        vqSource = state.path("vq_model").asText(null);
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("vq_model", vqSource);
        TrainingLoop.Result main = stages.get("restoration");
        if (main == null) {
            provenance.put("untrained", true);
            return;
        }
        main.describe(provenance, cfg.batchSize());
        for (Map.Entry<String, TrainingLoop.Result> e : stages.entrySet()) {
            e.getValue().describe(provenance.putObject("stage_" + e.getKey()), cfg.batchSize());
        }
    }

    private void closeModel() {
        if (model != null) {
            model.close();
            model = null;
            network = null;
        }
    }

    @Override
    public void close() {
        closeModel();
        super.close();
    }
}
