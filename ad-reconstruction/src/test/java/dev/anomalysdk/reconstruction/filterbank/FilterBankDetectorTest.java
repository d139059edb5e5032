package dev.anomalysdk.reconstruction.filterbank;

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
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterBankDetectorTest {
    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void dataset() throws IOException {
        data = tmp.resolve("data");
        SyntheticDataset.builder(data).imageSize(64).trainCount(20).testGoodCount(8).anomalousPerDefect(3).seed(8)
                .build().generate();
    }

    static float[] scores(Detector d, List<ImageData> images) {
        List<AnomalyResult> r = d.predict(images);
        float[] s = new float[r.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.get(i).score();
        }
        return s;
    }

    static double auroc(Detector d, DatasetSplit split) {
        float[] s = scores(d, split.test().stream().map(Sample::loadImage).toList());
        boolean[] l = new boolean[s.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = split.test().get(i).anomalous();
        }
        return BinaryMetrics.auroc(s, l);
    }

    @Test
    void findsTheSyntheticDefectsAndScoresIdenticallyAfterLoading() throws IOException {
        for (String category : SyntheticDataset.CATEGORIES) {
            DatasetSplit split = DatasetReaders.byName("mvtec").read(data, category);
            Path model = tmp.resolve("model-" + category);
            List<ImageData> test = split.test().stream().map(Sample::loadImage).toList();
            float[] before;
            try (Detector d = Detectors.create("filter_bank", Map.of("image_size", "64"))) {
                d.fit(Detector.FitData.of(split.train(), List.of()), ProgressListener.NONE);
                double auroc = auroc(d, split);
                assertTrue(auroc > 0.8, category + ": image AUROC " + auroc);
                before = scores(d, test);
                d.save(model);
            }
            try (Detector loaded = Detectors.load(model)) {
                assertArrayEquals(before, scores(loaded, test), category + ": identical scores after load");
                assertEquals(64, loaded.predict(test.get(0)).map().width());
            }
        }
    }

    @Test
    void aGlobalGaussianAlsoWorksAndGrayImagesUseOneChannel() throws IOException {
        DatasetSplit split = DatasetReaders.byName("mvtec").read(data, SyntheticDataset.TEXTURE);
        List<Sample> gray = new ArrayList<>();
        for (Sample s : split.train()) {
            gray.add(Sample.ofImage(s.id(), s.loadImage().toGray(), false, null));
        }
        try (Detector d = Detectors.create("filter_bank", Map.of("image_size", "64", "window", "-1"))) {
            d.fit(Detector.FitData.of(gray, List.of()), ProgressListener.NONE);
            assertEquals(1, d.preprocessing().channels());
            double auroc = auroc(d, split);
            assertTrue(auroc > 0.7, "global Gaussian on gray texture: image AUROC " + auroc);
        }
    }

    @Test
    void inconsistentStagesAreRejectedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Detectors.create("filter_bank", Map.of("kernels", "5,3", "components", "8")));
        assertTrue(e.getMessage().contains("components"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("filter_bank", Map.of("kernels", "4")));
        assertTrue(e.getMessage().contains("kernels"), e.getMessage());
    }
}
