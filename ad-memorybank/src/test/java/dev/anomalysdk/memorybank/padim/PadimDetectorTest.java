package dev.anomalysdk.memorybank.padim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.anomalysdk.core.testing.DetectorChecks.labels;
import static dev.anomalysdk.core.testing.DetectorChecks.scores;

import ai.djl.pytorch.jni.JniUtils;
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

class PadimDetectorTest {
    /**
     * A narrow random ResNet-18 (base width 16: 16 + 32 + 64 channels) at 64 px keeps the test fast: a 16 x 16
     * grid of 32-dimensional Gaussians. With about 18 training images, a subset smaller than the default 100
     * keeps the covariances estimable; random features still separate the synthetic texture's defects.
     */
    static final Map<String, String> SMALL = Map.of("backbone", "resnet18:width=16", "image_size", "64",
            "crop_size", "0", "feature_dim", "32", "seed", "3");

    @TempDir
    static Path tmp;
    static DatasetSplit split;

    @BeforeAll
    static void data() throws IOException {
        dev.anomalysdk.core.DjlEnvironment.engine();
        JniUtils.setNumThreads(1);
        SyntheticDataset.builder(tmp.resolve("data")).categories(SyntheticDataset.TEXTURE).imageSize(64)
                .trainCount(20).testGoodCount(8).anomalousPerDefect(3).seed(1).build().generate();
        split = DatasetReaders.byName("mvtec").read(tmp.resolve("data"), SyntheticDataset.TEXTURE);
    }



    @Test
    void findsTheSyntheticDefectsAndReloadsToIdenticalScores() throws IOException {
        try (Detector d = Detectors.create("padim", SMALL)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            float[] s = scores(d, split.test());
            double auroc = BinaryMetrics.auroc(s, labels(split.test()));
            System.out.println("padim image AUROC on synthetic texture: " + auroc);
            assertTrue(auroc > 0.8, "image AUROC on synthetic defects: " + auroc);

            Path model = tmp.resolve("model");
            d.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertEquals("padim", loaded.name());
                assertArrayEquals(s, scores(loaded, split.test()), "loaded model scores identically");
                ImageData img = split.test().get(0).loadImage();
                assertArrayEquals(d.predict(img).map().values(), loaded.predict(img).map().values());
                assertEquals(d.calibration(), loaded.calibration());
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameScoresAndMapsHaveImageResolution() {
        float[] a;
        float[] b;
        List<Sample> few = split.train().subList(0, 6);
        try (Detector d = Detectors.create("padim", SMALL)) {
            d.fit(Detector.FitData.of(few, List.of()));
            a = scores(d, split.test().subList(0, 4));
            ImageData wide = new ImageData(3, 40, 90, new float[3 * 40 * 90], "wide");
            AnomalyResult r = d.predict(wide);
            assertEquals(40, r.map().height());
            assertEquals(90, r.map().width());
        }
        try (Detector d = Detectors.create("padim", SMALL)) {
            d.fit(Detector.FitData.of(few, List.of()));
            b = scores(d, split.test().subList(0, 4));
        }
        assertArrayEquals(a, b);
    }

    @Test
    void channelSubsetIsSeededSortedAndDefaultsByArchitecture() {
        int[] a = PadimDetector.randomSubset(448, 100, 0);
        assertArrayEquals(a, PadimDetector.randomSubset(448, 100, 0));
        assertEquals(100, java.util.Arrays.stream(a).distinct().count());
        for (int i = 1; i < a.length; i++) {
            assertTrue(a[i - 1] < a[i]);
        }
        assertTrue(!java.util.Arrays.equals(a, PadimDetector.randomSubset(448, 100, 1)));
        PadimOptions dflt = PadimOptions.of(dev.anomalysdk.core.config.Config.builder(PadimOptions.PARAMS).build());
        assertEquals(100, dflt.featureDim("resnet:resnet18:width=64:sha256=x", 448));
        assertEquals(550, dflt.featureDim("torchscript:wide_resnet50_2:sha256=x", 1792));
        assertEquals(40, dflt.featureDim("torchscript:tiny:sha256=x", 40));
        assertThrows(IllegalArgumentException.class, () -> PadimOptions.of(dev.anomalysdk.core.config.Config
                .builder(PadimOptions.PARAMS).set("feature_dim", "500").build()).featureDim("resnet:resnet18", 448));
    }

    @Test
    void nearestUpsamplingPicksFloorOfScaledIndex() {
        // 2 -> 4: rows 0,0,1,1; 3 -> 7: floor(o * 3 / 7) = 0,0,0,1,1,2,2
        int[] want = {0, 0, 1, 1};
        float[] m = PadimDetector.nearest(2, 4);
        for (int o = 0; o < 4; o++) {
            assertEquals(1f, m[o * 2 + want[o]]);
        }
        int[] want7 = {0, 0, 0, 1, 1, 2, 2};
        float[] m7 = PadimDetector.nearest(3, 7);
        for (int o = 0; o < 7; o++) {
            float rowSum = 0;
            for (int i = 0; i < 3; i++) {
                rowSum += m7[o * 3 + i];
            }
            assertEquals(1f, rowSum);
            assertEquals(1f, m7[o * 3 + want7[o]]);
        }
    }

    @Test
    void badSettingsAreClearErrors() {
        IllegalArgumentException crop = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("padim", Map.of("image_size", "64", "crop_size", "96")));
        assertTrue(crop.getMessage().contains("crop_size"), crop.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("padim", Map.of("feature_dims", "3")));
        assertTrue(unknown.getMessage().contains("feature_dim"), unknown.getMessage());
    }
}
