package dev.anomalysdk.reconstruction.nsa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.synthesis.AnomalySynthesizer;
import dev.anomalysdk.core.synthesis.SyntheticAnomaly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NsaDetectorTest {
    @TempDir
    static Path tmp;
    static DatasetSplit split;
    static Path data;

    @BeforeAll
    static void dataset() throws IOException {
        data = tmp.resolve("data");
        SyntheticDataset.builder(data).categories(SyntheticDataset.TEXTURE).imageSize(64).trainCount(16)
                .testGoodCount(8).anomalousPerDefect(3).seed(5).build().generate();
        split = DatasetReaders.byName("mvtec").read(data, SyntheticDataset.TEXTURE);
    }

    /** A tiny network and schedule: seconds on a busy CPU. */
    static Map<String, String> tiny(int epochs) {
        Map<String, String> s = new HashMap<>();
        s.put("widths", "8,16,32");
        s.put("stem_stride", "1");
        s.put("image_size", "64");
        s.put("crop_size", "32");
        s.put("batch_size", "8");
        s.put("epochs", Integer.toString(epochs));
        s.put("max_minutes", "0");
        s.put("validation_images", "2");
        s.put("validation_crops", "4");
        s.put("map_sigma", "2");
        s.put("score_pool", "5");
        s.put("seed", "3");
        return s;
    }

    static float[] scores(Detector d, List<ImageData> images) {
        List<AnomalyResult> r = d.predict(images);
        float[] s = new float[r.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.get(i).score();
        }
        return s;
    }

    static boolean[] labels(List<Sample> samples) {
        boolean[] l = new boolean[samples.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = samples.get(i).anomalous();
        }
        return l;
    }

    /** Synthetic anomalies on the (unseen) normal test images, made here with a fixed seed. */
    static List<SyntheticAnomaly> syntheticCheck() {
        AnomalySynthesizer synth = AnomalySynthesizer.nsaDefaults(0.1, 0.3);
        List<ImageData> normal = split.test().stream().filter(s -> !s.anomalous()).map(Sample::loadImage).toList();
        Random r = new Random(99);
        List<SyntheticAnomaly> out = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            ImageData t = normal.get(i % normal.size());
            SyntheticAnomaly a = i % 2 == 0 ? new SyntheticAnomaly(t, new float[t.height() * t.width()],
                    SyntheticAnomaly.CLEAN, 0) : synth.synthesize("blob", t, t, r);
            out.add(a);
        }
        return out;
    }

    static double syntheticAuroc(Detector d, List<SyntheticAnomaly> check) {
        float[] s = scores(d, check.stream().map(SyntheticAnomaly::image).toList());
        boolean[] l = new boolean[check.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = !check.get(i).isClean();
        }
        return BinaryMetrics.auroc(s, l);
    }

    @Test
    void trainingFindsDefectsWithoutTouchingTestDataAndSurvivesSaveLoad() throws IOException {
        List<ImageData> testImages = split.test().stream().map(Sample::loadImage).toList();
        boolean[] testLabels = labels(split.test());
        List<SyntheticAnomaly> check = syntheticCheck();

        double untrainedImage;
        double untrainedSynthetic;
        Map<String, String> frozen = tiny(1);
        frozen.put("learning_rate", "1e-7");
        try (Detector d = Detectors.create("nsa", frozen)) {
            d.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
            untrainedImage = BinaryMetrics.auroc(scores(d, testImages), testLabels);
            untrainedSynthetic = syntheticAuroc(d, check);
        }

        // The test folder is moved away while fitting: fit can only read training images.
        Path test = data.resolve("texture/test");
        Path hidden = tmp.resolve("hidden-test");
        Files.move(test, hidden);
        Path model = tmp.resolve("model");
        float[] trainedScores;
        try (Detector d = Detectors.create("nsa", tiny(60))) {
            try {
                d.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
            } finally {
                Files.move(hidden, test);
            }
            trainedScores = scores(d, testImages);
            double trainedImage = BinaryMetrics.auroc(trainedScores, testLabels);
            double trainedSynthetic = syntheticAuroc(d, check);
            assertTrue(trainedSynthetic > untrainedSynthetic + 0.1 && trainedSynthetic > 0.8,
                    "synthetic-anomaly AUROC " + untrainedSynthetic + " untrained vs " + trainedSynthetic + " trained");
            assertTrue(trainedImage > untrainedImage + 0.1 && trainedImage > 0.75,
                    "test AUROC " + untrainedImage + " untrained vs " + trainedImage + " trained");
            assertEquals(3, d.preprocessing().channels(), "RGB training images");
            d.save(model);
        }
        try (Detector loaded = Detectors.load(model)) {
            assertArrayEquals(trainedScores, scores(loaded, testImages), "identical scores after load");
            AnomalyResult r = loaded.predict(testImages.get(testImages.size() - 1));
            assertEquals(64, r.map().height());
            assertEquals(64, r.map().width());
        }
    }

    @Test
    void grayTrainingImagesGiveAOneChannelNetworkAndTheSameSeedTheSameModel() {
        List<Sample> gray = new ArrayList<>();
        for (Sample s : split.train()) {
            gray.add(Sample.ofImage(s.id(), s.loadImage().toGray(), false, null));
        }
        ImageData probe = split.test().get(split.test().size() - 1).loadImage();
        float[] first;
        try (Detector d = Detectors.create("nsa", tiny(2))) {
            d.fit(Detector.FitData.of(gray, List.of()), ProgressListener.NONE);
            assertEquals(1, d.preprocessing().channels());
            first = d.predict(probe).map().values();
        }
        try (Detector d = Detectors.create("nsa", tiny(2))) {
            d.fit(Detector.FitData.of(gray, List.of()), ProgressListener.NONE);
            assertArrayEquals(first, d.predict(probe).map().values(), "same seed, same model");
        }
    }

    @Test
    void invalidSettingsNameTheKey() {
        Map<String, String> s = tiny(1);
        s.put("crop_size", "30");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("nsa", s));
        assertTrue(e.getMessage().contains("crop_size") && e.getMessage().contains("30"), e.getMessage());
        Map<String, String> big = tiny(1);
        big.put("crop_size", "128");
        e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("nsa", big));
        assertTrue(e.getMessage().contains("image_size"), e.getMessage());
        Map<String, String> w = tiny(1);
        w.put("widths", "8");
        e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("nsa", w));
        assertTrue(e.getMessage().contains("widths"), e.getMessage());
    }
}
