package dev.anomalysdk.memorybank.cnndictionary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.anomalysdk.core.testing.DetectorChecks.labels;
import static dev.anomalysdk.core.testing.DetectorChecks.scores;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CnnDictionaryDetectorTest {
    /**
     * A narrow random ResNet-18 (base width 16) keeps the test fast. With random weights, shallow layers and
     * unnormalized descriptors work best (L1 normalization suits pretrained, non-negative features).
     */
    static final Map<String, String> SMALL = Map.of("backbone", "resnet18:width=16", "image_size", "128",
            "layers", "layer1,layer2", "l1_normalize", "false", "dictionary_size", "64", "seed", "3");

    @TempDir
    static Path tmp;
    static DatasetSplit split;

    @BeforeAll
    static void data() throws IOException {
        SyntheticDataset.builder(tmp.resolve("data")).categories(SyntheticDataset.TEXTURE).imageSize(128)
                .trainCount(20).testGoodCount(8).anomalousPerDefect(3).seed(1).build().generate();
        split = DatasetReaders.byName("mvtec").read(tmp.resolve("data"), SyntheticDataset.TEXTURE);
    }



    @Test
    void findsTheSyntheticDefectsAndReloadsToIdenticalScores() throws IOException {
        try (Detector d = Detectors.create("cnn_dictionary", SMALL)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            float[] s = scores(d, split.test());
            double auroc = BinaryMetrics.auroc(s, labels(split.test()));
            assertTrue(auroc > 0.8, "image AUROC on synthetic defects: " + auroc);

            Path model = tmp.resolve("model");
            d.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertArrayEquals(s, scores(loaded, split.test()), "loaded model scores identically");
                ImageData img = split.test().get(0).loadImage();
                assertArrayEquals(d.predict(img).map().values(), loaded.predict(img).map().values());
                assertEquals(d.calibration(), loaded.calibration());
                assertEquals(d.preprocessing().resize(), loaded.preprocessing().resize());
            }
        }
    }

    @Test
    void mapsHaveTheImageResolutionAndResultsCarryLabels() {
        try (Detector d = Detectors.create("cnn_dictionary", SMALL)) {
            d.fit(Detector.FitData.of(split.train().subList(0, 8), List.of()));
            ImageData wide = new ImageData(1, 40, 90, new float[40 * 90], "wide");
            AnomalyResult r = d.predict(wide);
            assertEquals(40, r.map().height());
            assertEquals(90, r.map().width());
            assertTrue(r.anomalous().isPresent() && r.mask().isPresent());
            assertTrue(r.normalizedScore() >= 0 && r.normalizedScore() <= 1);
        }
    }

    @Test
    void theSameSeedGivesTheSameScores() {
        float[] a;
        float[] b;
        List<Sample> few = split.train().subList(0, 10);
        try (Detector d = Detectors.create("cnn_dictionary", SMALL)) {
            d.fit(Detector.FitData.of(few, List.of()));
            a = scores(d, split.test().subList(0, 4));
        }
        try (Detector d = Detectors.create("cnn_dictionary", SMALL)) {
            d.fit(Detector.FitData.of(few, List.of()));
            b = scores(d, split.test().subList(0, 4));
        }
        assertArrayEquals(a, b);
    }

    @Test
    void badSettingsAndUnfittedUseAreClearErrors() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("cnn_dictionary", Map.of("dictionnary_size", "3")));
        assertTrue(unknown.getMessage().contains("dictionary_size"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("cnn_dictionary", Map.of("patch_size", "4")));
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("patchcorr", Map.of()));
        assertTrue(name.getMessage().contains("cnn_dictionary"), name.getMessage());
        try (Detector d = Detectors.create("cnn_dictionary", SMALL)) {
            assertThrows(IllegalStateException.class, () -> d.predict(split.test().get(0).loadImage()));
        }
    }
}
