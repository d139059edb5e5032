package dev.anomalysdk.teacher.stfpm;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.components.AnomalyMaps;
import dev.anomalysdk.teacher.components.FeatureDistance;
import dev.anomalysdk.teacher.components.NoGrad;
import dev.anomalysdk.teacher.components.Teachers;
import dev.anomalysdk.teacher.components.TrainingImages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * STFPM, Student-Teacher Feature Pyramid Matching (Wang, Wu, Cui, Sun, "Student-Teacher Feature Pyramid
 * Matching for Anomaly Detection", BMVC 2021).
 *
 * <p>A frozen teacher (ImageNet ResNet-18 in the paper) and a student of the same architecture, trained
 * from scratch on normal images, each produce a feature pyramid ({@code layer1 .. layer3}). Features are
 * L2-normalized along channels at every position; the loss per layer is the squared distance between
 * normalized teacher and student vectors, summed over channels and averaged over positions and images,
 * and the layers' losses are summed. This is the official code's form: the paper writes a factor 1/2 and
 * a sum over images, which only rescales the learning rate. At test time each layer's per-position
 * distance is upsampled bilinearly to the shallowest layer's grid, the layers are multiplied (or summed),
 * the result is upsampled to the input size, and the image score is the map's maximum.
 *
 * <p>Model selection as in the official code: a share of the training images ({@code validation_fraction},
 * 0.2) is held out, and after every epoch the mean of their maps on the shallowest layer's grid is computed;
 * the student of the epoch with the lowest mean is kept.
 *
 * <p>The student is a {@link ResNetBackbone} with torchvision's random initialization, seeded apart from a
 * random teacher. Real use needs a pretrained teacher exported with {@code tools/export_backbone.py}.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class StfpmDetector extends BaseDetector {
    /** The registered name. */
    public static final String NAME = "stfpm";
    private static final String TEACHER_PREFIX = "teacher_";
    private static final String STUDENT_PREFIX = "student_";
    private final StfpmOptions cfg;
    private FeatureExtractor teacher;
    private FeatureExtractor student;
    /** The student's network as trained by the last fit (null after loading), for memory tests. */
    private Block studentBlock;
    private TrainingLoop.Result training;
    private int trainImages;
    private int validationImages;

    StfpmDetector(Config config) {
        this(config, StfpmOptions.of(config));
    }

    /** Square resize of the whole image, as the official code; ImageNet normalization until fit. */
    private StfpmDetector(Config config, StfpmOptions options) {
        super(NAME, config, Preprocessing.sized(options.imageSize(), 0, Preprocessing.IMAGENET_MEAN,
                Preprocessing.IMAGENET_STD));
        this.cfg = options;
    }

    /** Registers STFPM as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "STFPM (Wang et al., BMVC 2021): a student ResNet learns a frozen teacher's normalized "
                    + "feature pyramid; anomalies are where they disagree", StfpmOptions.PARAMS,
                    StfpmDetector::new);
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
        List<String> layers = cfg.layers();
        teacher = Teachers.open(cfg.backbone(), cfg.seed(), layers, device);
        Backbones.warnIfUntrained(teacher, name());
        ResNetBackbone.Architecture arch = Teachers.architecture(teacher).orElseThrow(() ->
                new IllegalArgumentException("STFPM's student copies the teacher's architecture, but teacher "
                        + teacher.identity() + " is no torchvision ResNet (resnet18, resnet50, wide_resnet50_2)"));
        int width = Math.max(1, arch.baseWidth(layers.get(0), teacher.channels().get(0)));
        ResNetBackbone fresh = ResNetBackbone.random(arch, width, layers, cfg.seed() + 1, device);
        if (fresh.identity().equals(teacher.identity())) {
            // A random teacher drawn from the student's seed: never start the two identical.
            fresh.close();
            fresh = ResNetBackbone.random(arch, width, layers, cfg.seed() + 2, device);
        }
        student = fresh;
        studentBlock = fresh.block();
        if (!fresh.channels().equals(teacher.channels())) {
            throw new IllegalArgumentException("Teacher " + teacher.identity() + " has channels " + teacher.channels()
                    + " but a " + arch.id() + " student has " + fresh.channels());
        }
        Preprocessing expected = teacher.expectedPreprocessing(cfg.imageSize(), 0);
        setPreprocessing(Preprocessing.sized(cfg.imageSize(), 0, expected.mean(), expected.std()));
        // Hold out the model-selection images (official: a seeded 80/20 split of the training images).
        List<Sample> fitSamples = new ArrayList<>(train);
        Collections.shuffle(fitSamples, new Random(cfg.seed() + 29));
        int held = (int) Math.floor(cfg.validationFraction() * train.size());
        List<ImageData> selection = fitSamples.subList(0, held).stream().map(Sample::loadImage).toList();
        fitSamples = fitSamples.subList(held, fitSamples.size());
        validationImages = held;
        TrainingImages images = TrainingImages.load(fitSamples, preprocessing(), cfg.batchSize(), progress);
        trainImages = images.size();
        TrainingLoop.Validation select = selection.isEmpty() ? null : net -> -meanMap(net, selection);
        // The student's parameters stay in its own manager; the model only hosts the trainer.
        try (Model model = Model.newInstance("stfpm_student", device)) {
            model.setBlock(fresh.block());
            training = TrainingLoop.fit(model, new Shape[] {new Shape(1, 3, cfg.imageSize(), cfg.imageSize())},
                    cfg.schedule(), TrainingControl.from(config()), new Task(images, layers), select, progress);
        }
        fresh.setPretrained(true);
    }

    /** Images as student input, teacher features as targets; loss = sum over layers of the mean distance. */
    private final class Task implements TrainingLoop.Task {
        private final TrainingImages images;
        private final List<String> layers;

        Task(TrainingImages images, List<String> layers) {
            this.images = images;
            this.layers = layers;
        }

        @Override
        public int stepsPerEpoch() {
            return images.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            NDArray x = images.next(scope, random);
            Map<String, NDArray> t = teacher.extract(x);
            NDList labels = new NDList();
            layers.forEach(l -> labels.add(t.get(l)));
            return new TrainingLoop.Batch(new NDList(x), labels);
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            NDArray loss = null;
            for (int i = 0; i < labels.size(); i++) {
                NDArray d = FeatureDistance.normalizedSquaredDistance(labels.get(i), predictions.get(i)).mean();
                loss = loss == null ? d : loss.add(d);
            }
            return loss;
        }
    }

    /**
     * @param t teacher maps by layer
     * @param s student maps in {@code teacher.layers()} order
     * @return per-layer distances upsampled to the shallowest layer's grid and combined (N1hw)
     */
    private NDArray layerMap(Map<String, NDArray> t, List<NDArray> s) {
        NDArray map = null;
        long gridH = -1;
        long gridW = -1;
        List<String> layers = teacher.layers();
        for (int i = 0; i < layers.size(); i++) {
            NDArray d = FeatureDistance.normalizedSquaredDistance(t.get(layers.get(i)), s.get(i));
            if (gridH < 0) {
                gridH = d.getShape().get(2);
                gridW = d.getShape().get(3);
            }
            map = cfg.mapAggregation().combine(map, AnomalyMaps.upsample(d, gridH, gridW, false));
        }
        return map;
    }

    /** Mean of the held-out images' maps on the shallowest grid, with the student in inference mode. */
    private double meanMap(TrainingLoop.Forward studentNet, List<ImageData> images) {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < images.size(); i += inferenceBatchSize()) {
            List<ImageData> chunk = images.subList(i, Math.min(images.size(), i + inferenceBatchSize()));
            try (NDManager scope = manager().newSubManager(teacher.device()); NoGrad g = NoGrad.enter()) {
                NDArray input = preprocessing().toTensor(chunk, scope);
                NDArray map = layerMap(teacher.extract(input), studentNet.predict(new NDList(input)));
                sum += map.sum().getFloat();
                count += map.size();
            }
        }
        return sum / count;
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        NDArray input = batch.tensor().toDevice(teacher.device(), false);
        NDArray map = layerMap(teacher.extract(input), new ArrayList<>(student.extract(input).values()));
        return AnomalyMaps.toOutputs(AnomalyMaps.upsample(map, input.getShape().get(2), input.getShape().get(3),
                false));
    }

    /** @return the last fit's per-epoch log, or {@code null} for a loaded detector */
    public TrainingLoop.Result trainingResult() {
        return training;
    }

    /** Arrays held by the trained student's manager (parameters and training state), for memory tests. */
    int studentArrayCount() {
        return studentBlock.getParameters().get(0).getValue().getArray().getManager().getManagedArrays().size();
    }

    /** Arrays held by the detector's own manager, for memory tests. */
    int detectorArrayCount() {
        return manager().getManagedArrays().size();
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", teacher.identity());
        provenance.put("backbone_pretrained", teacher.isPretrained());
        provenance.put("student", student.identity());
        if (training != null) {
            training.describe(provenance, Math.min(cfg.batchSize(), trainImages));
            provenance.put("validation_holdout_images", validationImages);
            if (!Double.isNaN(training.bestScore())) {
                provenance.put("best_epoch", training.bestEpoch());
                provenance.put("best_validation_mean_map", -training.bestScore());
            }
        }
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        teacher.save(writer, TEACHER_PREFIX);
        student.save(writer, STUDENT_PREFIX);
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeNetworks();
        Device device = DjlEnvironment.device(cfg.device());
        teacher = Backbones.restore(reader, TEACHER_PREFIX, device);
        student = Backbones.restore(reader, STUDENT_PREFIX, device);
        if (!student.layers().equals(teacher.layers()) || !student.channels().equals(teacher.channels())) {
            throw new IOException("Model " + reader.directory() + " has a student (" + student.layers() + ", "
                    + student.channels() + ") that does not match its teacher (" + teacher.layers() + ", "
                    + teacher.channels() + ")");
        }
    }

    private void closeNetworks() {
        if (teacher != null) {
            teacher.close();
            teacher = null;
        }
        if (student != null) {
            student.close();
            student = null;
            studentBlock = null;
        }
    }

    @Override
    public void close() {
        closeNetworks();
        super.close();
    }
}
