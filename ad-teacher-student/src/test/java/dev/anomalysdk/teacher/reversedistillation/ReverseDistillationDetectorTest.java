package dev.anomalysdk.teacher.reversedistillation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.components.ResNetBlocks;
import dev.anomalysdk.teacher.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReverseDistillationDetectorTest {
    /**
     * Test settings. A random narrow ResNet-18 teacher (base width 8) keeps the test fast; its features are
     * weak, so the map is smoothed at the scale of a 64 px image (sigma 1 instead of 4 at 256 px) and the
     * student learns with a higher rate than the official 0.005 (0.02: with 25 epochs of 5 steps, 0.005
     * leaves the student half-trained and the AUROC gain small and seed-dependent).
     */
    static Map<String, String> settings(int epochs, double learningRate) {
        return new HashMap<>(Map.of("backbone", "resnet18:width=8", "image_size", "64", "batch_size", "8",
                "epochs", String.valueOf(epochs), "learning_rate", String.valueOf(learningRate), "map_sigma", "1",
                "seed", "3", "device", "cpu"));
    }

    @TempDir
    static Path tmp;
    static DatasetSplit split;
    static Detector trained;

    @BeforeAll
    static void fit() {
        TestData.singleThreaded();
        split = TestData.texture();
        trained = Detectors.create("reverse_distillation", settings(25, 0.02));
        trained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void theStudentMirrorsTheTeachersShapes() throws IOException {
        // Wide bottleneck teacher (layer1-3: 16, 32, 64 channels) and a basic-block one (8, 16, 32).
        for (String spec : List.of("wide_resnet50_2:width=4", "resnet18:width=8")) {
            try (FeatureExtractor t = Backbones.create(spec, ReverseDistillationOptions.LAYERS, Device.cpu());
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                StudentLayout layout = StudentLayout.forTeacher(t, null);
                assertEquals(spec.startsWith("wide") ? ResNetBlocks.Kind.BOTTLENECK : ResNetBlocks.Kind.BASIC,
                        layout.kind());
                assertEquals(spec.startsWith("wide") ? 2 : 1, layout.widthFactor());
                ReverseDistillationStudent s = new ReverseDistillationStudent(layout);
                Shape[] in = new Shape[3];
                for (int i = 0; i < 3; i++) {
                    long side = 128 / t.strides().get(i);
                    in[i] = new Shape(2, t.channels().get(i), side, side);
                }
                TrainingLoop.initialize(s, m, 1, in);
                NDList x = new NDList();
                for (Shape sh : in) {
                    x.add(m.randomNormal(sh));
                }
                NDList out = s.forward(new ParameterStore(m, false), x, false);
                for (int i = 0; i < 3; i++) {
                    assertEquals(in[i], out.get(i).getShape(), spec + " scale " + i);
                    assertEquals(in[i], s.getOutputShapes(in)[i]);
                }
                assertEquals(DataType.FLOAT32, out.get(0).getDataType());
            }
        }
    }

    @Test
    void trainingLowersTheLossAndSeparatesDefectsBetterThanTheUntrainedStudent() {
        TrainingLoop.Result r = ((ReverseDistillationDetector) trained).trainingResult();
        assertEquals(25, r.epochs().size());
        assertTrue(r.lastLoss() < 0.5 * r.firstLoss(), "loss " + r.firstLoss() + " -> " + r.lastLoss());
        double image = TestData.imageAuroc(trained, split.test());
        double pixel = TestData.pixelAuroc(trained, split.test());
        // Same seed, same teacher and initial student; a learning rate of 1e-7 leaves the weights where they
        // started (one epoch only lets batch norm collect statistics).
        try (Detector untrained = Detectors.create("reverse_distillation", settings(1, 1e-7))) {
            untrained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
            double image0 = TestData.imageAuroc(untrained, split.test());
            double pixel0 = TestData.pixelAuroc(untrained, split.test());
            assertTrue(image > image0 + 0.1, "image AUROC trained " + image + " vs untrained " + image0);
            assertTrue(pixel > pixel0 + 0.2, "pixel AUROC trained " + pixel + " vs untrained " + pixel0);
            assertTrue(image > 0.65 && pixel > 0.7, "trained image " + image + ", pixel " + pixel);
        }
    }

    @Test
    void aSavedModelLoadsToIdenticalScoresAndMaps() throws IOException {
        Path dir = tmp.resolve("rd-model");
        trained.save(dir);
        List<Sample> some = split.test().subList(0, 6);
        try (Detector loaded = Detectors.load(dir)) {
            assertEquals("reverse_distillation", loaded.name());
            assertArrayEquals(TestData.scores(trained, some), TestData.scores(loaded, some));
            ImageData img = some.get(0).loadImage();
            assertArrayEquals(trained.predict(img).map().values(), loaded.predict(img).map().values());
            assertEquals(trained.calibration(), loaded.calibration());
        }
    }

    @Test
    void mapsHaveTheImageResolutionAndScoreIsTheirMaximum() {
        ImageData wide = new ImageData(3, 40, 90, new float[3 * 40 * 90], "wide");
        AnomalyResult r = trained.predict(wide);
        assertEquals(40, r.map().height());
        assertEquals(90, r.map().width());
        assertTrue(r.normalizedScore() >= 0 && r.normalizedScore() <= 1);
        AnomalyResult s = trained.predict(split.test().get(0).loadImage());
        assertEquals(s.map().max(), s.score(), 1e-6f * Math.max(1, s.score()));
    }

    @Test
    void hundredsOfPredictionsDoNotGrowNativeMemory() {
        ReverseDistillationDetector d = (ReverseDistillationDetector) trained;
        List<ImageData> batch = split.test().subList(0, 1).stream().map(Sample::loadImage).toList();
        d.predict(batch);
        int student = d.studentArrayCount();
        int own = d.detectorArrayCount();
        for (int i = 0; i < 150; i++) {
            d.predict(batch);
        }
        assertEquals(student, d.studentArrayCount(), "arrays of the student's manager");
        assertEquals(own, d.detectorArrayCount(), "arrays of the detector's manager");
    }

    @Test
    void trainingStepsKeepOnlyParametersAndOptimizerState() {
        // A width-4 network on two images with batch 1: one step per image. The student's manager may hold
        // the parameters and the optimizer's state; after 1 epoch (2 steps) that set exists, and 40 epochs
        // later it must be the same size: the batches, teacher maps and losses made by this detector's task
        // are freed with each step. (TrainingLoopTest shows the loop itself flat over 3000 steps.)
        List<Sample> two = split.train().subList(0, 2);
        Map<String, String> s = settings(1, 0.005);
        s.putAll(Map.of("backbone", "resnet18:width=4", "batch_size", "1"));
        int afterOneEpoch;
        try (Detector d = Detectors.create("reverse_distillation", s)) {
            d.fit(Detector.FitData.of(two, List.of()), ProgressListener.NONE);
            afterOneEpoch = ((ReverseDistillationDetector) d).studentArrayCount();
        }
        s.put("epochs", "40");
        try (Detector d = Detectors.create("reverse_distillation", s)) {
            d.fit(Detector.FitData.of(two, List.of()), ProgressListener.NONE);
            assertEquals(80, ((ReverseDistillationDetector) d).trainingResult().steps());
            assertEquals(afterOneEpoch, ((ReverseDistillationDetector) d).studentArrayCount());
        }
    }

    @Test
    void aBatchTooSmallForBatchNormIsAClearError() {
        Map<String, String> s = settings(1, 0.005);
        s.putAll(Map.of("image_size", "32", "batch_size", "1"));
        try (Detector d = Detectors.create("reverse_distillation", s)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.fit(Detector.FitData.of(split.train().subList(0, 4), List.of()), ProgressListener.NONE));
            assertTrue(e.getMessage().contains("batch_size"), e.getMessage());
        }
    }

    @Test
    void badSettingsAreClearErrors() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("reverse_distillation", Map.of("image_size", "100")));
        assertTrue(size.getMessage().contains("image_size") && size.getMessage().contains("100"), size.getMessage());
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("reverse_distillation", Map.of("epoch", "3")));
        assertTrue(key.getMessage().contains("epochs"), key.getMessage());
        try (Detector d = Detectors.create("reverse_distillation", Map.of("backbone", "resnet18:width=8", "layers_x",
                "1"))) {
            throw new AssertionError("unknown key accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("layers_x"), expected.getMessage());
        }
    }
}
