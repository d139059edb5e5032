package dev.anomalysdk.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CurveTest {

    @Test
    void imageRocHasOnePointPerDistinctScoreWorkedOutByHand() {
        // Scores 0.9(a) 0.8(n) 0.8(a) 0.3(n) 0.1(a): P = 3, N = 2.
        float[] s = {0.9f, 0.8f, 0.8f, 0.3f, 0.1f};
        boolean[] l = {true, false, true, false, true};
        Curve c = BinaryMetrics.rocCurve(s, l);
        assertArrayEquals(new double[] {0, 0, 0.5, 1, 1}, c.x(), 1e-15);
        assertArrayEquals(new double[] {0, 1 / 3.0, 2 / 3.0, 2 / 3.0, 1}, c.y(), 1e-15);
        assertEquals(BinaryMetrics.auroc(s, l), c.area(), 1e-12);
    }

    @Test
    void pixelRocAndProAreasEqualTheMetricsWhenNoPointIsDropped() {
        Random rnd = new Random(3);
        PixelMetrics m = new PixelMetrics();
        for (int img = 0; img < 6; img++) {
            boolean[] p = new boolean[12 * 12];
            float[] v = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = img % 2 == 0 && (i % 12) > 3 && (i % 12) < 7 && i / 12 < 5;
                v[i] = (float) (rnd.nextInt(50) + (p[i] ? 20 : 0));
            }
            m.add(new AnomalyMap(12, 12, v), img % 2 == 0 ? new Mask(12, 12, p) : null);
        }
        Curve roc = m.rocCurve(Integer.MAX_VALUE);
        assertEquals(m.auroc(), roc.area(), 1e-12);
        assertEquals(0, roc.x()[0]);
        assertEquals(1, roc.x()[roc.size() - 1]);
        assertEquals(1, roc.y()[roc.size() - 1]);
        Curve pro = m.proCurve(0.3, Integer.MAX_VALUE);
        assertEquals(m.aupro(0.3), pro.area() / 0.3, 1e-12);
        assertEquals(0.3, pro.x()[pro.size() - 1], 1e-15);
        for (int i = 1; i < pro.size(); i++) {
            assertTrue(pro.x()[i] >= pro.x()[i - 1] && pro.y()[i] >= pro.y()[i - 1], "monotone at " + i);
        }
    }

    @Test
    void thinnedCurvesKeepTheirEndsAndStayNearTheArea() {
        Random rnd = new Random(8);
        PixelMetrics m = new PixelMetrics();
        boolean[] p = new boolean[100 * 100];
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i % 100 < 30;
            v[i] = rnd.nextFloat() + (p[i] ? 0.3f : 0);
        }
        m.add(new AnomalyMap(100, 100, v), new Mask(100, 100, p));
        Curve roc = m.rocCurve(50);
        assertTrue(roc.size() <= 52, "at most about maxPoints points: " + roc.size());
        assertEquals(1, roc.x()[roc.size() - 1]);
        assertEquals(m.auroc(), roc.area(), 0.02);
        Curve pro = m.proCurve(0.3, 50);
        assertTrue(pro.size() <= 52, "at most about maxPoints points: " + pro.size());
        assertEquals(0.3, pro.x()[pro.size() - 1], 1e-15);
        assertEquals(m.aupro(), pro.area() / 0.3, 0.02);
    }

    @Test
    void rejectsBadArgumentsNamingThem() {
        PixelMetrics m = new PixelMetrics();
        m.add(AnomalyMap.filled(2, 2, 1f), new Mask(2, 2, new boolean[] {true, false, false, false}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> m.rocCurve(1)).getMessage().contains("1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> m.proCurve(0, 10)).getMessage().contains("0"));
        assertThrows(IllegalArgumentException.class, () -> new Curve(new double[2], new double[3]));
    }

    @Test
    void evaluationExposesTheCurvesOfItsImages() {
        Evaluation e = new Evaluation();
        e.add("n", 0.1f, false, AnomalyMap.filled(2, 2, 0.1f), null);
        e.add("a", 0.9f, true, new AnomalyMap(2, 2, new float[] {0.9f, 0.1f, 0.1f, 0.1f}),
                new Mask(2, 2, new boolean[] {true, false, false, false}));
        assertEquals(1.0, e.imageRocCurve().area(), 1e-12);
        assertEquals(e.report().pixelAuroc(), e.pixelRocCurve(1000).area(), 1e-12);
        assertEquals(e.report().pixelAupro(), e.proCurve(1000).area() / 0.3, 1e-12);
    }
}
