package dev.anomalysdk.core.testing;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import java.util.List;

/** What every detector test computes the same way: scores of samples, their labels, image AUROC. */
public final class DetectorChecks {
    private DetectorChecks() {}

    /** @return the detector's raw image scores of the samples, in order */
    public static float[] scores(Detector detector, List<Sample> samples) {
        List<AnomalyResult> results = detector.predict(samples.stream().map(Sample::loadImage).toList());
        float[] s = new float[results.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = results.get(i).score();
        }
        return s;
    }

    /** @return whether each sample is anomalous */
    public static boolean[] labels(List<Sample> samples) {
        boolean[] l = new boolean[samples.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = samples.get(i).anomalous();
        }
        return l;
    }

    /** @return the image AUROC of the detector on the samples (computed by {@link BinaryMetrics}) */
    public static double imageAuroc(Detector detector, List<Sample> samples) {
        return BinaryMetrics.auroc(scores(detector, samples), labels(samples));
    }
}
