package dev.anomalysdk.teacher.stfpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StfpmDetectorTest {
    /**
     * Test settings: a random narrow ResNet-18 teacher (base width 8) and its same-size student, 64 px,
     * batch 8, the official optimizer (SGD, learning rate 0.4, momentum 0.9). The random teacher's normalized
     * features still differ between intact and damaged texture, which is all STFPM needs to learn.
     */
    static Map<String, String> settings(int epochs, double learningRate) {
        return new HashMap<>(Map.of("backbone", "resnet18:width=8", "image_size", "64", "batch_size", "8",
                "epochs", String.valueOf(epochs), "learning_rate", String.valueOf(learningRate), "seed", "3",
                "device", "cpu"));
    }

    @TempDir
    static Path tmp;
    static DatasetSplit split;
    static Detector trained;

    @BeforeAll
    static void fit() {
        TestData.singleThreaded();
        split = TestData.texture();
        trained = Detectors.create("stfpm", settings(20, 0.4));
        trained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void trainingLowersTheLossAndSeparatesDefectsBetterThanTheUntrainedStudent() {
        TrainingLoop.Result r = ((StfpmDetector) trained).trainingResult();
        assertEquals(20, r.epochs().size());
        assertTrue(r.lastLoss() < 0.5 * r.firstLoss(), "loss " + r.firstLoss() + " -> " + r.lastLoss());
        double image = TestData.imageAuroc(trained, split.test());
        double pixel = TestData.pixelAuroc(trained, split.test());
        // Same seed, same teacher and initial student; a learning rate of 1e-7 leaves the weights where they
        // started (one epoch only lets batch norm collect statistics).
        try (Detector untrained = Detectors.create("stfpm", settings(1, 1e-7))) {
            untrained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
            double image0 = TestData.imageAuroc(untrained, split.test());
            double pixel0 = TestData.pixelAuroc(untrained, split.test());
            assertTrue(image > image0 + 0.15, "image AUROC trained " + image + " vs untrained " + image0);
            assertTrue(pixel > pixel0 + 0.2, "pixel AUROC trained " + pixel + " vs untrained " + pixel0);
            assertTrue(image > 0.8 && pixel > 0.8, "trained image " + image + ", pixel " + pixel);
        }
    }

    @Test
    void theEpochWithTheLowestMeanValidationMapIsKept() {
        // 36 training images after the calibration hold-out; 20 % of them (7, rounded down) select the epoch.
        TrainingLoop.Result r = ((StfpmDetector) trained).trainingResult();
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (TrainingLoop.EpochLog e : r.epochs()) {
            assertFalse(Double.isNaN(e.validationScore()), "epoch " + e.epoch() + " validated");
            assertTrue(e.validationScore() < 0, "score = minus a mean distance map");
            if (e.validationScore() >= bestScore) {
                bestScore = e.validationScore();
                best = e.epoch();
            }
        }
        assertEquals(best, r.bestEpoch());
        assertEquals(bestScore, r.bestScore());
        var provenance = ((dev.anomalysdk.core.BaseDetector) trained).provenance();
        assertEquals(7, provenance.path("validation_holdout_images").asInt());
        assertEquals(best, provenance.path("best_epoch").asInt());
        assertEquals(-bestScore, provenance.path("best_validation_mean_map").asDouble(), 1e-12);
    }

    @Test
    void aSavedModelLoadsToIdenticalScoresAndMaps() throws IOException {
        Path dir = tmp.resolve("stfpm-model");
        trained.save(dir);
        List<Sample> some = split.test().subList(0, 6);
        try (Detector loaded = Detectors.load(dir)) {
            assertEquals("stfpm", loaded.name());
            assertArrayEquals(TestData.scores(trained, some), TestData.scores(loaded, some));
            ImageData img = some.get(0).loadImage();
            assertArrayEquals(trained.predict(img).map().values(), loaded.predict(img).map().values());
            assertEquals(trained.calibration(), loaded.calibration());
        }
    }

    @Test
    void theSumOptionChangesTheMapOfTheSameNetworks() throws IOException {
        // The same saved networks read back with map_aggregation=sum (edited in the manifest's config):
        // per-layer distances lie in [0, 4], so a product of three is at most 64 and a sum at most 12, and
        // the two maps differ.
        Path dir = tmp.resolve("stfpm-sum");
        trained.save(dir);
        Path manifest = dir.resolve("manifest.json");
        String json = Files.readString(manifest);
        String edited = json.replaceFirst("(\"map_aggregation\"\\s*:\\s*)\"product\"", "$1\"sum\"");
        assertFalse(json.equals(edited), "manifest records the aggregation");
        Files.writeString(manifest, edited);
        ImageData img = split.test().get(split.test().size() - 1).loadImage();
        float[] product = trained.predict(img).map().values();
        try (Detector sum = Detectors.load(dir)) {
            assertEquals("sum", sum.config().asStrings().get("map_aggregation"));
            float[] summed = sum.predict(img).map().values();
            assertFalse(Arrays.equals(product, summed));
            for (int i = 0; i < product.length; i++) {
                assertTrue(product[i] >= -1e-6f && product[i] <= 64, "product " + product[i]);
                assertTrue(summed[i] >= -1e-6f && summed[i] <= 12, "sum " + summed[i]);
            }
        }
    }

    @Test
    void hundredsOfPredictionsDoNotGrowNativeMemory() {
        StfpmDetector d = (StfpmDetector) trained;
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
        // One step per image (batch 1, two images, 32 px, width 4); the student's manager holds parameters
        // and momentum after the first epoch and no more after many more steps.
        List<Sample> two = split.train().subList(0, 2);
        Map<String, String> s = settings(1, 0.4);
        s.putAll(Map.of("backbone", "resnet18:width=4", "image_size", "32", "batch_size", "1"));
        int afterOneEpoch;
        try (Detector d = Detectors.create("stfpm", s)) {
            d.fit(Detector.FitData.of(two, List.of()), ProgressListener.NONE);
            afterOneEpoch = ((StfpmDetector) d).studentArrayCount();
        }
        s.put("epochs", "100");
        try (Detector d = Detectors.create("stfpm", s)) {
            d.fit(Detector.FitData.of(two, List.of()), ProgressListener.NONE);
            assertEquals(200, ((StfpmDetector) d).trainingResult().steps());
            assertEquals(afterOneEpoch, ((StfpmDetector) d).studentArrayCount());
        }
    }

    @Test
    void aTeacherThatIsNoResNetOrBadLayersAreClearErrors() {
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("stfpm", Map.of("layers", "layer1,layer5")));
        assertTrue(layers.getMessage().contains("layer5"), layers.getMessage());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("stfpm", Map.of("layers", "layer1,layer1")));
        assertTrue(dup.getMessage().contains("layer1,layer1"), dup.getMessage());
    }
}
