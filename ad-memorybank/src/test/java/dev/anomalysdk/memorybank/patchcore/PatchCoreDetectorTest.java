package dev.anomalysdk.memorybank.patchcore;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchCoreDetectorTest {
    /**
     * A narrow random ResNet-18 (base width 16) at 128 px keeps the test fast. Random weights carry little
     * semantics, so the shallower layer1+layer2 pair (finer grid, more local texture statistics) separates the
     * synthetic defects better than layer2+layer3; 256-dimensional features suffice for 16- and 32-channel
     * layers; 96 px inputs give a 24 x 24 patch grid.
     */
    static final Map<String, String> SMALL = Map.of("backbone", "resnet18:width=16", "image_size", "96",
            "crop_size", "96", "layers", "layer1,layer2", "pretrain_embed_dimension", "256",
            "target_embed_dimension", "256", "coreset_fraction", "0.1", "seed", "3");

    @TempDir
    static Path tmp;
    static DatasetSplit split;

    @BeforeAll
    static void data() throws IOException {
        SyntheticDataset.builder(tmp.resolve("data")).categories(SyntheticDataset.TEXTURE).imageSize(128)
                .trainCount(20).testGoodCount(8).anomalousPerDefect(3).seed(1).build().generate();
        split = DatasetReaders.byName("mvtec").read(tmp.resolve("data"), SyntheticDataset.TEXTURE);
    }

    static Map<String, String> small(String... keyValues) {
        Map<String, String> m = new HashMap<>(SMALL);
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }



    @Test
    void findsTheSyntheticDefectsAndReloadsToIdenticalScores() throws IOException {
        try (Detector d = Detectors.create("patchcore", SMALL)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            // 18 of 20 images fitted (2 held out for calibration), 24 x 24 patches each (layer1, stride 4), 10 % kept.
            assertEquals((int) Math.floor(18 * 576 * 0.1), ((PatchCoreDetector) d).memoryBankSize());
            float[] s = scores(d, split.test());
            double auroc = BinaryMetrics.auroc(s, labels(split.test()));
            assertTrue(auroc > 0.85, "image AUROC on synthetic defects: " + auroc);

            Path model = tmp.resolve("model");
            d.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertArrayEquals(s, scores(loaded, split.test()), "loaded model scores identically");
                ImageData img = split.test().get(0).loadImage();
                assertArrayEquals(d.predict(img).map().values(), loaded.predict(img).map().values());
                assertEquals(d.calibration(), loaded.calibration());
                assertEquals(d.preprocessing().cropSize(), loaded.preprocessing().cropSize());
            }
        }
    }

    @Test
    void kernelBackendsStorageAndPrecisionGiveTheSameModel() {
        List<Sample> few = split.train().subList(0, 4);
        List<Sample> probe = split.test().subList(0, 6);
        float[] reference;
        try (Detector d = Detectors.create("patchcore", SMALL)) {
            d.fit(Detector.FitData.of(few, List.of()));
            reference = scores(d, probe);
        }
        // Same seed, same coreset rows on DJL; mapped storage changes nothing; float16 only rounds the bank
        // (the coreset is chosen on float32 features either way).
        try (Detector djl = Detectors.create("patchcore", small("kernels", "djl"));
                Detector mapped = Detectors.create("patchcore", small("feature_storage", "mapped"));
                Detector half = Detectors.create("patchcore", small("bank_precision", "float16"))) {
            for (Detector d : List.of(djl, mapped, half)) {
                d.fit(Detector.FitData.of(few, List.of()));
            }
            assertArrayEquals(reference, scores(mapped, probe));
            float[] viaDjl = scores(djl, probe);
            float[] viaHalf = scores(half, probe);
            for (int i = 0; i < reference.length; i++) {
                assertEquals(reference[i], viaDjl[i], 1e-4 * reference[i] + 1e-4, "djl kernels, image " + i);
                assertEquals(reference[i], viaHalf[i], 1e-2 * reference[i] + 1e-3, "float16 bank, image " + i);
            }
        }
    }

    @Test
    void theReweightedScoreIsTheMaximumScaledByAWeightBelowOne() {
        List<Sample> few = split.train().subList(0, 4);
        List<Sample> probe = split.test().subList(0, 10);
        try (Detector max = Detectors.create("patchcore", SMALL);
                Detector rw = Detectors.create("patchcore", small("image_score", "reweighted"))) {
            max.fit(Detector.FitData.of(few, List.of()));
            rw.fit(Detector.FitData.of(few, List.of()));
            float[] a = scores(max, probe);
            float[] b = scores(rw, probe);
            for (int i = 0; i < a.length; i++) {
                assertTrue(b[i] > 0 && b[i] <= a[i], "reweighted " + b[i] + " vs max " + a[i]);
            }
            // Same maps: re-weighting touches only the image score.
            ImageData img = probe.get(0).loadImage();
            assertArrayEquals(max.predict(img).map().values(), rw.predict(img).map().values());
        }
    }

    @Test
    void mapsHaveTheImageResolutionAndBadSettingsAreClearErrors() {
        try (Detector d = Detectors.create("patchcore", small("coreset_fraction", "0.05"))) {
            d.fit(Detector.FitData.of(split.train().subList(0, 4), List.of()));
            ImageData wide = new ImageData(3, 60, 150, new float[3 * 60 * 150], "wide");
            AnomalyResult r = d.predict(wide);
            assertEquals(60, r.map().height());
            assertEquals(150, r.map().width());
            assertTrue(r.anomalous().isPresent() && r.mask().isPresent());
        }
        IllegalArgumentException crop = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("patchcore", Map.of("image_size", "200", "crop_size", "224")));
        assertTrue(crop.getMessage().contains("image_size") && crop.getMessage().contains("224"), crop.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Detectors.create("patchcore", Map.of("patch_size", "4")));
        assertThrows(IllegalArgumentException.class, () -> Detectors.create("patchcore", Map.of("kernels", "cuda")));
        assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("patchcore", Map.of("coreset_fraction", "0")));
        try (Detector d = Detectors.create("patchcore", SMALL)) {
            assertThrows(IllegalStateException.class, () -> d.predict(split.test().get(0).loadImage()));
        }
    }

    @Test
    void defaultsAreTheOfficialOnes() {
        try (Detector d = Detectors.create("patchcore", Map.of())) {
            Map<String, String> c = d.config().asStrings();
            assertEquals("wide_resnet50_2", c.get("backbone"));
            assertEquals("layer2,layer3", c.get("layers"));
            assertEquals("256", c.get("image_size"));
            assertEquals("224", c.get("crop_size"));
            assertEquals("3", c.get("patch_size"));
            assertEquals("1024", c.get("pretrain_embed_dimension"));
            assertEquals("1024", c.get("target_embed_dimension"));
            assertEquals(0.1, Double.parseDouble(c.get("coreset_fraction")));
            assertEquals("128", c.get("coreset_projection_dim"));
            assertEquals("10", c.get("coreset_starting_points"));
            assertEquals("max", c.get("image_score").toLowerCase());
            assertEquals(4.0, Double.parseDouble(c.get("map_sigma")));
            assertEquals(256, d.preprocessing().resize());
            assertEquals(224, d.preprocessing().cropSize());
        }
    }
}
