package dev.anomalysdk.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void imageLevelOnlyWhenThereAreNoMasks() {
        Evaluation e = new Evaluation();
        e.add("a", 0.1f, false, null, null);
        e.add("b", 0.4f, false, null, null);
        e.add("c", 0.35f, true, AnomalyMap.filled(2, 2, 0f), null);
        e.add("d", 0.8f, true, null, null);
        MetricsReport r = e.report();
        assertEquals(4, r.images());
        assertEquals(2, r.anomalous());
        assertEquals(0.75, r.imageAuroc(), 1e-12);
        assertEquals(5.0 / 6.0, r.imageAveragePrecision(), 1e-12);
        assertEquals(0.8, r.imageF1Max().f1(), 1e-12);
        assertEquals(0.35f, r.imageF1Max().threshold());
        assertFalse(r.hasPixelMetrics());
        assertNull(r.pixelAuroc());
        assertNull(r.pixelAupro());
        assertNull(r.pixelF1Max());
        assertNull(r.pixelAveragePrecision());
    }

    @Test
    void pixelMetricsIncludeNormalImages() {
        Evaluation e = new Evaluation();
        // Anomalous image: the defect pixel scores 0.9, the others 0.1.
        e.add("bad", 0.9f, true, new AnomalyMap(2, 2, new float[] {0.9f, 0.1f, 0.1f, 0.1f}),
                new Mask(2, 2, new boolean[] {true, false, false, false}));
        // Normal image: one pixel scores above the defect.
        e.add("good", 0.95f, false, new AnomalyMap(2, 2, new float[] {0.95f, 0f, 0f, 0f}), null);
        MetricsReport r = e.report();
        assertTrue(r.hasPixelMetrics());
        // Image level: the normal image scores higher.
        assertEquals(0.0, r.imageAuroc(), 1e-12);
        // The defect beats 6 of 7 normal pixels.
        assertEquals(6.0 / 7.0, r.pixelAuroc(), 1e-12);
        // PRO curve (0,0) (1/7,0) (1/7,1) (1,1): up to 0.3 -> (0.3 - 1/7) / 0.3.
        assertEquals((0.3 - 1.0 / 7.0) / 0.3, r.pixelAupro(), 1e-12);
        // Thresholds 0.95: TP0 FP1; 0.9: TP1 FP1 -> P 1/2 R 1, F1 2/3; 0.1: TP1 FP4 -> 2/6.
        assertEquals(2.0 / 3.0, r.pixelF1Max().f1(), 1e-12);
        assertEquals(0.9f, r.pixelF1Max().threshold());
        // AP: the only recall step is at 0.9 with precision 1/2.
        assertEquals(0.5, r.pixelAveragePrecision(), 1e-12);
    }

    @Test
    void sizeMismatchNamesTheImageAndBothSizes() {
        Evaluation e = new Evaluation();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.add("broken_large/004.png", 0.5f, true, AnomalyMap.filled(8, 6, 0f),
                        new Mask(4, 3, new boolean[12])));
        assertEquals("Image broken_large/004.png: anomaly map is 6x8 but the ground-truth mask is 3x4",
                x.getMessage());
        assertEquals(0, e.imageCount());
    }

    @Test
    void rejectsInvalidImages() {
        Evaluation e = new Evaluation();
        e.add("x", 0.5f, false, null, null);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.add("x", 0.5f, false, null, null));
        assertEquals("Image x was already added", x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> e.add("y", Float.NaN, true, null, null));
        assertEquals("Image y has a non-finite score: NaN", x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> e.add("z", 0.1f, false,
                AnomalyMap.filled(1, 2, 0f), new Mask(1, 2, new boolean[] {false, true})));
        assertEquals("Image z is labelled normal but its mask marks 1 defect pixels", x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> e.add(null, 0.1f, false, null, null));
        assertEquals(1, e.imageCount());
    }

    @Test
    void reportNeedsBothClasses() {
        Evaluation e = new Evaluation();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e::report);
        assertTrue(x.getMessage().startsWith("No images"), x.getMessage());
        e.add("a", 0.1f, false, null, null);
        e.add("b", 0.2f, false, null, null);
        x = assertThrows(IllegalArgumentException.class, e::report);
        assertEquals("needs both normal and anomalous images, got only normal (2 images)", x.getMessage());
    }

    @Test
    void manyImagesGrowTheBuffers() {
        Evaluation e = new Evaluation();
        for (int i = 0; i < 300; i++) {
            e.add("img" + i, i, i >= 150, null, null);
        }
        MetricsReport r = e.report();
        assertEquals(300, r.images());
        assertEquals(150, r.anomalous());
        assertEquals(1.0, r.imageAuroc(), 1e-12);
        assertEquals(150f, r.imageF1Max().threshold());
    }
}
