package dev.anomalysdk.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CalibrationTest {
    @Test
    void percentileInterpolatesLinearlyLikeNumpy() {
        // numpy.percentile([1, 2, 3, 4], 99) = 3 + 0.97 * 1
        assertEquals(3.97f, Calibration.percentile(new float[] {4, 1, 3, 2}, 99), 1e-6f);
        assertEquals(7f, Calibration.percentile(new float[] {7}, 99), 0f);
        assertEquals(2.5f, Calibration.percentile(new float[] {1, 2, 3, 4}, 50), 1e-6f);
    }

    @Test
    void pixelThresholdMaximizesPixelF1WhenMasksExist() {
        // One normal image (all 0.1), one anomalous image: left half 0.9 (the defect), right half 0.2.
        AnomalyMap normal = AnomalyMap.filled(2, 2, 0.1f);
        AnomalyMap defect = new AnomalyMap(2, 2, new float[] {0.9f, 0.2f, 0.9f, 0.2f});
        Mask truth = new Mask(2, 2, new boolean[] {true, false, true, false});
        List<Mask> masks = new ArrayList<>();
        masks.add(null);
        masks.add(truth);
        Calibration c = Calibration.learn(new float[] {0.1f, 0.9f}, new boolean[] {false, true},
                List.of(normal, defect), masks);
        assertEquals(0.9f, c.pixelThreshold(), 0f);
        assertEquals(0.9f, c.imageThreshold(), 0f);
        assertEquals(0.1f, c.pixelMin(), 0f);
        assertEquals(0.9f, c.pixelMax(), 0f);
    }

    @Test
    void allAnomalousValidationIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Calibration.learn(new float[] {1f}, new boolean[] {true},
                List.of(AnomalyMap.filled(1, 1, 1f)), java.util.Collections.singletonList(null)));
    }
}
