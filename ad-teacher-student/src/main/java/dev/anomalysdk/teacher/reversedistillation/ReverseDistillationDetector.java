package dev.anomalysdk.teacher.reversedistillation;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.components.AnomalyMaps;
import dev.anomalysdk.teacher.components.FeatureDistance;
import dev.anomalysdk.teacher.components.NoGrad;
import dev.anomalysdk.teacher.components.ResNetBlocks;
import dev.anomalysdk.teacher.components.Teachers;
import dev.anomalysdk.teacher.components.TrainingImages;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Reverse Distillation (Deng and Li, "Anomaly Detection via Reverse Distillation from One-Class
 * Embedding", CVPR 2022).
 *
 * <p>A frozen teacher (ImageNet Wide ResNet-50-2 in the paper) encodes the image into {@code layer1},
 * {@code layer2} and {@code layer3} maps. A trainable one-class bottleneck fuses them into a compact
 * embedding, and a student decoder ({@link ReverseDistillationStudent}) rebuilds the three maps from it.
 * Training on normal images minimizes, for each scale, the cosine distance between teacher and student maps,
 * each sample's map flattened into one vector, summed over the scales. At test time the per-position cosine
 * distance along channels of each scale is upsampled bilinearly (corners aligned) to the input size, the
 * three are summed (or multiplied), smoothed with a Gaussian (sigma 4) and the image score is the maximum.
 *
 * <p>The student's widths derive from the teacher's channels, so a narrow random teacher
 * ({@code wide_resnet50_2:width=4}, {@code resnet18:width=8}) gives a small student for tests; a ResNet-18
 * teacher gets a basic-block student as the official {@code de_resnet18}. Real use needs a pretrained
 * teacher exported with {@code tools/export_backbone.py --layers layer1 layer2 layer3}.
 *
 * <p>Thread safety: see {@link BaseDetector}.
 */
public final class ReverseDistillationDetector extends BaseDetector {
    /** The registered name. */
    public static final String NAME = "reverse_distillation";
    private static final String TEACHER_PREFIX = "teacher_";
    private static final String STUDENT_FILE = "student.params";
    private final ReverseDistillationOptions cfg;
    private FeatureExtractor teacher;
    private Model studentModel;
    private ReverseDistillationStudent student;
    private TrainingLoop.Result training;
    private int trainImages;

    ReverseDistillationDetector(Config config) {
        this(config, ReverseDistillationOptions.of(config));
    }

    /** Square resize of the whole image (no crop), as the official code; ImageNet normalization until fit. */
    private ReverseDistillationDetector(Config config, ReverseDistillationOptions options) {
        super(NAME, config, Preprocessing.sized(options.imageSize(), 0, Preprocessing.IMAGENET_MEAN,
                Preprocessing.IMAGENET_STD));
        this.cfg = options;
    }

    /** Registers Reverse Distillation as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "Reverse Distillation (Deng & Li, CVPR 2022): a decoder student rebuilds a frozen "
                    + "teacher's multi-scale features from a one-class embedding", ReverseDistillationOptions.PARAMS,
                    ReverseDistillationDetector::new);
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
        teacher = Teachers.open(cfg.backbone(), cfg.seed(), ReverseDistillationOptions.LAYERS, device);
        Backbones.warnIfUntrained(teacher, name());
        StudentLayout layout = StudentLayout.forTeacher(teacher, cfg.student().architecture());
        // Square resize of the whole image (no crop), as the official code; the teacher's normalization.
        Preprocessing expected = teacher.expectedPreprocessing(cfg.imageSize(), 0);
        setPreprocessing(Preprocessing.sized(cfg.imageSize(), 0, expected.mean(), expected.std()));
        TrainingImages images = TrainingImages.load(train, preprocessing(), cfg.batchSize(), progress);
        trainImages = images.size();
        long embeddingCells = (long) images.batchSize() * (cfg.imageSize() / 32) * (cfg.imageSize() / 32);
        if (embeddingCells < 2) {
            throw new IllegalArgumentException("Batch normalization of the " + cfg.imageSize() / 32 + "x"
                    + cfg.imageSize() / 32 + " embedding needs more than one value per channel: with image_size "
                    + cfg.imageSize() + " use batch_size >= 2 and at least 2 training images (got batch "
                    + images.batchSize() + ")");
        }
        student = new ReverseDistillationStudent(layout);
        studentModel = Model.newInstance("reverse_distillation_student", device);
        studentModel.setBlock(student);
        training = TrainingLoop.fit(studentModel, teacherShapes(1), cfg.schedule(), TrainingControl.from(config()),
                new Task(images), null, progress);
    }

    /** Teacher maps as student inputs and as targets; loss = sum over scales of the mean flattened distance. */
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
            NDList maps = teacherMaps(images.next(scope, random));
            return new TrainingLoop.Batch(maps, maps);
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            NDArray loss = null;
            for (int i = 0; i < labels.size(); i++) {
                NDArray d = FeatureDistance.flattenedCosineDistance(labels.get(i), predictions.get(i)).mean();
                loss = loss == null ? d : loss.add(d);
            }
            return loss;
        }
    }

    private NDList teacherMaps(NDArray input) {
        Map<String, NDArray> f = teacher.extract(input);
        NDList maps = new NDList();
        for (String layer : ReverseDistillationOptions.LAYERS) {
            maps.add(f.get(layer));
        }
        return maps;
    }

    private Shape[] teacherShapes(long batch) {
        List<Integer> channels = teacher.channels();
        List<Integer> strides = teacher.strides();
        Shape[] shapes = new Shape[channels.size()];
        for (int i = 0; i < shapes.length; i++) {
            long side = cfg.imageSize() / strides.get(i);
            shapes[i] = new Shape(batch, channels.get(i), side, side);
        }
        return shapes;
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        try (NoGrad g = NoGrad.enter()) {
            NDArray input = batch.tensor().toDevice(teacher.device(), false);
            NDList t = teacherMaps(input);
            NDList s = student.forward(new ParameterStore(batch.manager(), false), t, false);
            long h = input.getShape().get(2);
            long w = input.getShape().get(3);
            NDArray map = null;
            for (int i = 0; i < t.size(); i++) {
                NDArray d = FeatureDistance.channelCosineDistance(t.get(i), s.get(i));
                map = cfg.mapAggregation().combine(map, AnomalyMaps.upsample(d, h, w, true));
            }
            return AnomalyMaps.toOutputs(map);
        }
    }

    /** @return the last fit's per-epoch log, or {@code null} for a loaded detector */
    public TrainingLoop.Result trainingResult() {
        return training;
    }

    /** Arrays held by the student's manager (parameters and their training state), for memory tests. */
    int studentArrayCount() {
        return studentModel.getNDManager().getManagedArrays().size();
    }

    /** Arrays held by the detector's own manager, for memory tests. */
    int detectorArrayCount() {
        return manager().getManagedArrays().size();
    }

    @Override
    protected void describe(ObjectNode provenance) {
        provenance.put("backbone", teacher.identity());
        provenance.put("backbone_pretrained", teacher.isPretrained());
        if (training != null) {
            training.describe(provenance, Math.min(cfg.batchSize(), trainImages));
        }
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        teacher.save(writer, TEACHER_PREFIX);
        StudentLayout layout = student.layout();
        state.put("student_kind", layout.kind().name());
        state.put("student_width_factor", layout.widthFactor());
        state.put("student_channels", layout.channels());
        writer.putBytes(STUDENT_FILE, TrainingLoop.parameterBytes(student));
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        closeNetworks();
        Device device = DjlEnvironment.device(cfg.device());
        StudentLayout layout;
        try {
            layout = new StudentLayout(ResNetBlocks.Kind.valueOf(state.path("student_kind").asText()),
                    state.path("student_width_factor").asInt(), state.path("student_channels").asInt());
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid student description in " + reader.directory() + ": " + e.getMessage(), e);
        }
        teacher = Backbones.restore(reader, TEACHER_PREFIX, device);
        student = new ReverseDistillationStudent(layout);
        studentModel = Model.newInstance("reverse_distillation_student", device);
        studentModel.setBlock(student);
        try {
            TrainingLoop.restoreParameters(student, studentModel.getNDManager(), reader.bytes(STUDENT_FILE));
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot load " + reader.directory() + "/files/" + STUDENT_FILE + ": "
                    + e.getMessage(), e);
        }
    }

    private void closeNetworks() {
        if (teacher != null) {
            teacher.close();
            teacher = null;
        }
        if (studentModel != null) {
            studentModel.close();
            studentModel = null;
        }
        student = null;
    }

    @Override
    public void close() {
        closeNetworks();
        super.close();
    }
}
