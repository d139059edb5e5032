package dev.anomalysdk.core.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example of docs/custom-detector.md: registered, fitted, scored by hand-checkable numbers, and in the doc. */
class PixelStatisticsDetectorTest {

    private static ImageData flat(float v, int size) {
        float[] p = new float[size * size];
        java.util.Arrays.fill(p, v);
        return new ImageData(1, size, size, p, "flat-" + v);
    }

    @Test
    void findsABrightPixelAgainstFlatNormalImages(@TempDir Path dir) throws IOException {
        List<Sample> train = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            float v = 0.4f + 0.01f * i;
            train.add(Sample.ofImage("n" + i, flat(v, 16), false, null));
        }
        try (Detector d = Detectors.create("pixel_statistics", Map.of("image_size", "16", "map_sigma", "0"))) {
            d.fit(Detector.FitData.of(train, List.of()));
            // mean 0.415, std sqrt(mean of 0.015^2, 0.005^2 x2, 0.015^2) = 0.01118 < min_std 0.02 -> 0.02
            float[] p = flat(0.415f, 16).pixels().clone();
            p[27] = 0.615f;
            AnomalyResult r = d.predict(new ImageData(1, 16, 16, p, "defect"));
            assertEquals(10.0f, r.score(), 1e-3f);
            assertEquals(0f, r.map().get(0, 0), 1e-3f);
        }
    }

    @Test
    void theDocShowsThisClass() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        String doc = Files.readString(root.resolve("docs/custom-detector.md"));
        String source = Files.readString(Path.of("src/test/java/dev/anomalysdk/core/example/PixelStatisticsDetector.java"));
        assertTrue(doc.contains(source.strip()), "docs/custom-detector.md must show PixelStatisticsDetector.java verbatim");
    }
}
