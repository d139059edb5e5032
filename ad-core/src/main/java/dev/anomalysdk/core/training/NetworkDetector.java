package dev.anomalysdk.core.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life cycle shared by detectors that train one DJL network from scratch on normal images (DRAEM,
 * autoencoder, MemAE): the method builds the network, supplies the training task and turns network outputs
 * into maps; this class pre-processes the training images once, runs {@link TrainingLoop}, runs inference
 * in per-batch sub-managers, and saves and loads the parameters ({@code network.params} in DJL's parameter
 * format). The shared training keys ({@link #trainingParams}) are read here, so a method's options hold only
 * its own keys.
 *
 * <p>Training images are kept in memory at network resolution as float32 ({@code 4 * C * S * S} bytes each,
 * 0.75 MiB at 256 px RGB) so that every step augments them without decoding files.
 */
public abstract class NetworkDetector extends BaseDetector {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkDetector.class);
    private static final String PARAMS = "network.params";

    private Model model;
    private TrainingLoop.Result training;
    private boolean untrained;

    /**
     * @param name the registered name
     * @param config the validated configuration
     * @param preprocessing the input pre-processing (square, network resolution)
     */
    protected NetworkDetector(String name, Config config, Preprocessing preprocessing) {
        super(name, config, preprocessing);
    }

    /**
     * The shared keys this class reads, with a method's defaults: {@code epochs}, {@code batch_size},
     * {@code learning_rate}, {@code max_minutes}, {@code seed}, {@code device} and the training-control keys.
     *
     * @param epochs the method's default training length
     * @param learningRate the method's default learning rate
     * @return the keys, for the method's parameter list
     */
    public static List<Param<?>> trainingParams(int epochs, double learningRate) {
        return TrainingControl.withControlParams(List.of(SharedParams.EPOCHS.withDefault(epochs),
                SharedParams.BATCH_SIZE, SharedParams.LEARNING_RATE.withDefault(learningRate),
                SharedParams.MAX_MINUTES, SharedParams.SEED, SharedParams.DEVICE));
    }

    /** @return a new, uninitialized network taking {@code N x C x S x S} images */
    protected abstract Block buildNetwork();

    /** @return where the network runs: the {@code device} key ({@code cpu}, {@code auto}, {@code cuda:N}) */
    protected Device device() {
        return DjlEnvironment.device(config().find("device", String.class).orElse("cpu"));
    }

    /**
     * @return the training length, optimizer, learning rate and seed; by default Adam with cosine decay from
     *     the shared keys {@code epochs}, {@code learning_rate}, {@code max_minutes} and {@code seed}
     */
    protected TrainingSchedule schedule() {
        return TrainingSchedule.adamCosine(shared(SharedParams.EPOCHS), shared(SharedParams.LEARNING_RATE), seed())
                .withMaxMinutes(shared(SharedParams.MAX_MINUTES));
    }

    /** The value of a shared key with the default this detector declared it with. */
    private <T> T shared(Param<T> key) {
        return config().find(key.key(), key.type()).orElseThrow(() -> new IllegalStateException(name()
                + " does not declare '" + key.key() + "' (see trainingParams)"));
    }

    /**
     * @param images the training images at network resolution, pre-processed
     * @return the training task (batches and loss)
     */
    protected abstract TrainingLoop.Task task(List<ImageData> images);

    /**
     * Turns the network's inference outputs into results.
     *
     * @param outputs the network outputs for the batch
     * @param input the pre-processed input batch, NCHW
     * @return one raw score and map (network resolution, unsmoothed: the core applies {@code map_sigma}) per
     *     image
     */
    protected abstract List<RawOutput> toResults(NDList outputs, NDArray input);

    /**
     * Initializes the network's parameters before training. The default leaves it to {@link TrainingLoop}
     * (seeded He-normal weights); override for another scheme (initialize with {@code manager}).
     *
     * @param block the network
     * @param manager the model's manager, owner of the parameters
     * @param inputShape the input shape
     */
    protected void initializeWeights(Block block, NDManager manager, Shape inputShape) { }

    /**
     * Called first in {@link #fitModel}, before any image is loaded: check and open what training needs
     * (e.g. an anomaly-source folder) so that a mistake fails fast. Does nothing by default.
     */
    protected void prepareFit() { }

    /** @return the input shape of one image: 1 x C x S x S */
    protected final Shape inputShape() {
        int s = preprocessing().resize();
        return new Shape(1, preprocessing().channels(), s, s);
    }

    /**
     * Fits without any optimizer step: the network keeps its seeded initial weights, then calibration runs as
     * usual. The untrained baseline for checking that training helps (same seed, same initialization).
     *
     * @param data the training (and validation) images
     */
    public final synchronized void fitUntrained(FitData data) {
        untrained = true;
        try {
            fit(data);
        } finally {
            untrained = false;
        }
    }

    /** @return the training log of the last {@link #fit}, empty after loading or an untrained fit */
    public final Optional<TrainingLoop.Result> trainingResult() {
        return Optional.ofNullable(training);
    }

    @Override
    protected final void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException(name() + ": no training images");
        }
        prepareFit();
        List<ImageData> images = preprocessedImages(train, preprocessing(), progress);
        closeModel();
        training = null;
        model = Model.newInstance(name(), device());
        Block block = buildNetwork();
        model.setBlock(block);
        initializeWeights(block, model.getNDManager(), inputShape());
        TrainingSchedule schedule = schedule();
        if (untrained) {
            TrainingLoop.initialize(block, model.getNDManager(), schedule.seed(), inputShape());
            LOG.info("{}: untrained fit (initial weights only)", name());
            return;
        }
        training = TrainingLoop.fit(model, new Shape[] {inputShape()}, schedule, TrainingControl.from(config()),
                task(images), null, progress);
        LOG.info("{}: trained {} steps in {} s ({} images/s); loss {} -> {}", name(), training.steps(),
                String.format(java.util.Locale.ROOT, "%.1f", training.seconds()),
                String.format(java.util.Locale.ROOT, "%.1f", imagesPerSecond()),
                String.format(java.util.Locale.ROOT, "%.4f", training.firstLoss()),
                String.format(java.util.Locale.ROOT, "%.4f", training.lastLoss()));
    }

    /**
     * Loads and pre-processes training images once, to network resolution.
     *
     * @param samples the training samples
     * @param pre the pre-processing
     * @param progress receives "loading images" progress
     * @return the pre-processed images, in order
     */
    public static List<ImageData> preprocessedImages(List<Sample> samples, Preprocessing pre,
            ProgressListener progress) {
        List<ImageData> images = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            ImageData img = samples.get(i).loadImage();
            int[] size = pre.outputSize(img.height(), img.width());
            images.add(new ImageData(pre.channels(), size[0], size[1], pre.apply(img), img.source()));
            progress.update("loading images", i + 1, samples.size());
        }
        return images;
    }

    /** @return training images per second of the last fit (steps x batch / seconds), or NaN */
    public final double imagesPerSecond() {
        if (training == null || training.seconds() <= 0) {
            return Double.NaN;
        }
        return training.steps() * (double) trainingBatchSize() / training.seconds();
    }

    /** @return images per training step: the shared {@code batch_size} */
    protected int trainingBatchSize() {
        return inferenceBatchSize();
    }

    @Override
    protected void describe(ObjectNode provenance) {
        if (training != null) {
            training.describe(provenance, trainingBatchSize());
        } else {
            provenance.put("untrained", true);
        }
    }

    @Override
    protected final List<RawOutput> scoreBatch(Batch batch) {
        NDArray input = batch.tensor().toDevice(device(), false);
        NDList out = model.getBlock().forward(new ParameterStore(batch.manager(), false), new NDList(input), false);
        return toResults(out, input);
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        writer.putBytes(PARAMS, TrainingLoop.parameterBytes(model.getBlock()));
        state.put("network", model.getBlock().toString());
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        if (!reader.has(PARAMS)) {
            throw new IOException("Model " + reader.directory() + " has no " + PARAMS);
        }
        closeModel();
        model = Model.newInstance(name(), device());
        Block block = buildNetwork();
        model.setBlock(block);
        TrainingLoop.initialize(block, model.getNDManager(), 0, inputShape());
        try {
            TrainingLoop.restoreParameters(block, model.getNDManager(), reader.bytes(PARAMS));
        } catch (IllegalArgumentException e) {
            throw new IOException("Model " + reader.directory() + ": " + e.getMessage()
                    + " (does the configuration match the saved network?)", e);
        }
    }

    /**
     * @param batch an NCHW array
     * @param channel the channel that holds the map
     * @return that channel of every item as a map, in batch order
     */
    protected static List<AnomalyMap> maps(NDArray batch, int channel) {
        Shape s = batch.getShape();
        List<AnomalyMap> out = new ArrayList<>((int) s.get(0));
        for (int i = 0; i < s.get(0); i++) {
            out.add(new AnomalyMap((int) s.get(2), (int) s.get(3), plane(batch, i, channel)));
        }
        return out;
    }

    /** @return a float copy of one item's channel of an NCHW array, row-major */
    public static float[] plane(NDArray batch, int item, int channel) {
        return batch.get(item, channel).toType(DataType.FLOAT32, false).toFloatArray();
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
