package dev.anomalysdk.core.testdetector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Calibration;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared behaviour of {@link dev.anomalysdk.core.BaseDetector}, through a detector plugged in like a user's. */
class BaseDetectorTest {
    @TempDir
    Path tmp;

    static ImageData constant(float value, int h, int w) {
        float[] px = new float[h * w];
        Arrays.fill(px, value);
        return new ImageData(1, h, w, px, "const-" + value);
    }

    static Sample sample(float value, boolean anomalous) {
        return Sample.ofImage("v" + value, constant(value, 8, 8), anomalous, null);
    }

    static List<Sample> train() {
        // mean image = 0.5 everywhere
        return List.of(sample(0.4f, false), sample(0.5f, false), sample(0.6f, false));
    }

    static MeanImageDetector create() {
        return (MeanImageDetector) Detectors.create("mean_image", Map.of("image_size", "8"));
    }

    @Test
    void aDetectorInATestJarIsFoundByName() {
        assertTrue(Detectors.names().contains("mean_image"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("mean_imag",
                Map.of()));
        assertTrue(e.getMessage().contains("mean_image"), e.getMessage());
    }

    @Test
    void normalOnlyValidationSetsThe99thPercentileThreshold() {
        try (MeanImageDetector d = create()) {
            List<Sample> validation = new ArrayList<>();
            for (float v : new float[] {0.50f, 0.52f, 0.54f, 0.56f, 0.58f}) {
                validation.add(sample(v, false));
            }
            d.fit(Detector.FitData.of(train(), validation));
            Calibration c = d.calibration();
            // scores |v - 0.5| = 0, .02, .04, .06, .08; rank 0.99 * 4 = 3.96 -> 0.06 + 0.96 * 0.02
            assertEquals(0.0792f, c.imageThreshold(), 1e-5f);
            assertEquals(0.0792f, c.pixelThreshold(), 1e-5f);
            assertEquals(0f, c.imageMin(), 1e-6f);
            assertEquals(0.08f, c.imageMax(), 1e-6f);
            assertEquals(Calibration.Rule.NORMAL_PERCENTILE, c.rule());

            AnomalyResult normal = d.predict(constant(0.55f, 8, 8));
            assertFalse(normal.anomalous().orElseThrow());
            assertEquals(0, normal.mask().orElseThrow().count());
            // normalized = (0.05 - 0.0792) / 0.08 + 0.5
            assertEquals((0.05f - 0.0792f) / 0.08f + 0.5f, normal.normalizedScore(), 1e-4f);
            AnomalyResult defect = d.predict(constant(0.9f, 8, 8));
            assertTrue(defect.anomalous().orElseThrow());
            assertEquals(64, defect.mask().orElseThrow().count());
            assertEquals(1f, defect.normalizedScore(), 0f);
        }
    }

    @Test
    void labelledValidationSetsTheF1MaximizingThreshold() {
        try (MeanImageDetector d = create()) {
            List<Sample> validation = List.of(sample(0.5f, false), sample(0.52f, false), sample(0.54f, false),
                    sample(0.53f, true), sample(0.8f, true), sample(0.9f, true));
            d.fit(Detector.FitData.of(train(), validation));
            // scores: normal 0, .02, .04; anomalous .03, .3, .4. Best F1 = 6/7 at t = .03 (TP 3, FP 1).
            assertEquals(0.03f, d.calibration().imageThreshold(), 1e-5f);
            assertEquals(Calibration.Rule.F1_ADAPTIVE, d.calibration().rule());
            // no masks: pixel threshold from normal maxima 0, .02, .04 -> rank 1.98 -> .02 + .98 * .02
            assertEquals(0.0396f, d.calibration().pixelThreshold(), 1e-5f);
        }
    }

    @Test
    void mapsComeBackAtEachImagesResolution() {
        try (MeanImageDetector d = create()) {
            d.fit(Detector.FitData.of(train(), List.of(sample(0.5f, false))));
            List<AnomalyResult> r = d.predict(List.of(constant(0.5f, 12, 16), constant(0.7f, 8, 8),
                    constant(0.7f, 30, 5)));
            assertEquals(12, r.get(0).map().height());
            assertEquals(16, r.get(0).map().width());
            assertEquals(30, r.get(2).map().height());
            assertEquals(5, r.get(2).map().width());
            assertEquals(0.2f, r.get(1).score(), 1e-5f);
        }
    }

    @Test
    void aSavedDetectorLoadsAndScoresIdentically() throws IOException {
        Path model = tmp.resolve("model");
        float[] before;
        try (MeanImageDetector d = create()) {
            d.fit(Detector.FitData.of(train(), List.of(sample(0.5f, false), sample(0.6f, false))));
            before = d.predict(constant(0.65f, 10, 10)).map().values();
            d.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertEquals("mean_image", loaded.name());
                assertEquals(d.calibration(), loaded.calibration());
                assertEquals(d.config(), loaded.config());
                assertArrayEquals(before, loaded.predict(constant(0.65f, 10, 10)).map().values());
            }
        }
        String manifest = Files.readString(model.resolve("manifest.json"));
        assertTrue(manifest.contains("\"preprocessing\"") && manifest.contains("\"calibration\"")
                && manifest.contains("\"provenance\""), manifest);
    }

    @Test
    void aModelOfAnUnknownDetectorIsAClearError() throws IOException {
        Path model = tmp.resolve("model");
        try (MeanImageDetector d = create()) {
            d.fit(Detector.FitData.of(train(), List.of(sample(0.5f, false))));
            d.save(model);
        }
        Path manifest = model.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"mean_image\"", "\"martian\""));
        IOException e = assertThrows(IOException.class, () -> Detectors.load(model));
        assertTrue(e.getMessage().contains("martian") && e.getMessage().contains(model.toString()), e.getMessage());
    }

    @Test
    void unfittedDetectorsAndBadFitDataAreRejected() {
        try (MeanImageDetector d = create()) {
            assertThrows(IllegalStateException.class, () -> d.predict(constant(0.5f, 8, 8)));
            assertThrows(IllegalStateException.class, () -> d.save(tmp.resolve("m")));
            assertThrows(IllegalArgumentException.class, () -> Detector.FitData.of(List.of(), List.of()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Detector.FitData.of(List.of(sample(0.5f, true)), List.of()));
            assertTrue(e.getMessage().contains("anomalous"), e.getMessage());
        }
    }

    @Test
    void aLongRunOfPredictionsDoesNotGrowNativeMemory() {
        try (MeanImageDetector d = create()) {
            d.fit(Detector.FitData.of(train(), List.of(sample(0.5f, false))));
            d.predict(constant(0.5f, 8, 8));
            int live = d.rootManager().getManagedArrays().size();
            for (int i = 0; i < 2000; i++) {
                d.predict(List.of(constant(0.3f, 8, 8), constant(0.6f, 9, 7)));
            }
            assertEquals(live, d.rootManager().getManagedArrays().size());
        }
    }
}
