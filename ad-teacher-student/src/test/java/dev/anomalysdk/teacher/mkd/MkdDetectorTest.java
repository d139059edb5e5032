package dev.anomalysdk.teacher.mkd;

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

class MkdDetectorTest {
    /**
     * Test settings: a random VGG-16 source of base width 8 (channels 8 .. 64) and a cloner of inner width 8,
     * 64 px, batch 8, the official optimizer (Adam, learning rate 1e-3). The random source's features still
     * differ between intact and damaged texture, which is all the cloner needs to learn.
     */
    static Map<String, String> settings(int epochs, double learningRate) {
        return new HashMap<>(Map.of("backbone", "vgg16:width=8", "cloner_width", "8", "image_size", "64",
                "batch_size", "8", "epochs", String.valueOf(epochs), "learning_rate", String.valueOf(learningRate),
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
        trained = Detectors.create("mkd", settings(20, 1e-3));
        trained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void trainingLowersTheLossAndSeparatesDefectsBetterThanTheUntrainedCloner() {
        TrainingLoop.Result r = ((MkdDetector) trained).trainingResult();
        assertEquals(20, r.epochs().size());
        assertTrue(r.lastLoss() < 0.2 * r.firstLoss(), "loss " + r.firstLoss() + " -> " + r.lastLoss());
        double image = TestData.imageAuroc(trained, split.test());
        double pixel = TestData.pixelAuroc(trained, split.test());
        // Same seed, same source and initial cloner; a learning rate of 1e-7 leaves the weights where they
        // started (one epoch only lets batch norm collect statistics).
        try (Detector untrained = Detectors.create("mkd", settings(1, 1e-7))) {
            untrained.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
            double image0 = TestData.imageAuroc(untrained, split.test());
            double pixel0 = TestData.pixelAuroc(untrained, split.test());
            assertTrue(image > image0 + 0.3, "image AUROC trained " + image + " vs untrained " + image0);
            assertTrue(pixel > pixel0 + 0.05, "pixel AUROC trained " + pixel + " vs untrained " + pixel0);
            assertTrue(image > 0.8 && pixel > 0.8, "trained image " + image + ", pixel " + pixel);
        }
    }

    @Test
    void theScoreIsTheImagesLossAndTheMapIsScaledToTheUnitInterval() {
        // The mean image score of the training images is close to the last epoch's mean training loss
        // (same formula, batch norm in inference mode instead of batch statistics).
        float[] s = TestData.scores(trained, split.train());
        double mean = 0;
        for (float v : s) {
            mean += v / s.length;
        }
        double last = ((MkdDetector) trained).trainingResult().lastLoss();
        assertEquals(last, mean, 0.5 * last, "mean training-image score vs last epoch loss");
        float[] map = trained.predict(split.test().get(split.test().size() - 1).loadImage()).map().values();
        for (float v : map) {
            assertTrue(v >= 0 && v <= 1 + 1e-6f, "map value " + v);
        }
    }

    @Test
    void aSavedModelLoadsToIdenticalScoresAndMaps() throws IOException {
        Path dir = tmp.resolve("mkd-model");
        trained.save(dir);
        List<Sample> some = split.test().subList(0, 6);
        try (Detector loaded = Detectors.load(dir)) {
            assertEquals("mkd", loaded.name());
            assertArrayEquals(TestData.scores(trained, some), TestData.scores(loaded, some));
            ImageData img = some.get(0).loadImage();
            assertArrayEquals(trained.predict(img).map().values(), loaded.predict(img).map().values());
            assertEquals(trained.calibration(), loaded.calibration());
        }
    }

    @Test
    void plainGradientsChangeTheMapButNotTheScore() throws IOException {
        // The same saved networks read back with localization=gradients (edited in the manifest's config).
        Path dir = tmp.resolve("mkd-gradients");
        trained.save(dir);
        Path manifest = dir.resolve("manifest.json");
        String json = Files.readString(manifest);
        String edited = json.replaceFirst("(\"localization\"\\s*:\\s*)\"guided\"", "$1\"gradients\"");
        assertFalse(json.equals(edited), "manifest records the localization");
        Files.writeString(manifest, edited);
        List<Sample> some = split.test().subList(split.test().size() - 3, split.test().size());
        try (Detector plain = Detectors.load(dir)) {
            assertArrayEquals(TestData.scores(trained, some), TestData.scores(plain, some), 1e-6f);
            ImageData img = some.get(0).loadImage();
            assertFalse(Arrays.equals(trained.predict(img).map().values(), plain.predict(img).map().values()));
        }
    }

    @Test
    void hundredsOfPredictionsDoNotGrowNativeMemory() {
        MkdDetector d = (MkdDetector) trained;
        List<ImageData> batch = split.test().subList(0, 1).stream().map(Sample::loadImage).toList();
        d.predict(batch);
        int cloner = d.clonerArrayCount();
        int own = d.detectorArrayCount();
        for (int i = 0; i < 150; i++) {
            d.predict(batch);
        }
        assertEquals(cloner, d.clonerArrayCount(), "arrays of the cloner's manager");
        assertEquals(own, d.detectorArrayCount(), "arrays of the detector's manager");
    }

    @Test
    void badSettingsAreClearErrors() {
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("mkd", Map.of("blocks", "2,2")));
        assertTrue(dup.getMessage().contains("blocks"), dup.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("mkd", Map.of("image_size", "100")));
        assertTrue(size.getMessage().contains("image_size"), size.getMessage());
        try (Detector d = Detectors.create("mkd", Map.of("backbone", "resnet18:width=8", "image_size", "32",
                "epochs", "1", "device", "cpu"))) {
            IllegalArgumentException resnet = assertThrows(IllegalArgumentException.class,
                    () -> d.fit(Detector.FitData.of(split.train().subList(0, 2), List.of()), ProgressListener.NONE));
            assertTrue(resnet.getMessage().contains("VGG-16"), resnet.getMessage());
        }
    }
}
