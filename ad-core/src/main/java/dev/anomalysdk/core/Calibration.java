package dev.anomalysdk.core;

import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.metrics.PixelMetrics;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Threshold and normalization statistics learned on validation images, saved with the model.
 *
 * <p>Thresholds:
 * <ul>
 *   <li>When validation has anomalous images, the image threshold maximises F1 on their image scores
 *       (F1-adaptive), and the pixel threshold maximises pixel F1 when masks exist.</li>
 *   <li>When validation has normal images only, the threshold is the {@value #NORMAL_PERCENTILE}th
 *       percentile (linear interpolation) of the normal images' scores: about 1 % of normal parts are
 *       flagged. The pixel threshold is the same percentile of each normal image's largest map value, so
 *       a normal image's mask is usually empty. (Picking the lowest score, as F1-adaptive rules do with no
 *       anomalies, would flag everything.)</li>
 * </ul>
 * Normalization maps a raw value {@code v} to {@code clamp((v - threshold) / (max - min) + 0.5, 0, 1)}, with
 * {@code min}/{@code max} over the calibration scores (maps: over all their pixels), so the threshold
 * becomes 0.5 and scores are comparable across methods.
 *
 * @param imageThreshold raw image score at and above which an image is anomalous
 * @param imageMin smallest calibration image score
 * @param imageMax largest calibration image score
 * @param pixelThreshold raw map value at and above which a pixel is anomalous
 * @param pixelMin smallest calibration map value
 * @param pixelMax largest calibration map value
 * @param rule how the thresholds were chosen
 */
public record Calibration(float imageThreshold, float imageMin, float imageMax, float pixelThreshold,
        float pixelMin, float pixelMax, Rule rule) {

    /** Percentile of normal scores used as threshold when validation has no anomalies. */
    public static final double NORMAL_PERCENTILE = 99.0;

    /** How thresholds were chosen. */
    public enum Rule {
        /** F1-maximising threshold on labelled validation images. */
        F1_ADAPTIVE,
        /** High percentile of normal validation scores. */
        NORMAL_PERCENTILE
    }

    /** Rejects non-finite values. */
    public Calibration {
        for (float v : new float[] {imageThreshold, imageMin, imageMax, pixelThreshold, pixelMin, pixelMax}) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("Calibration values must be finite: " + Arrays.toString(
                        new float[] {imageThreshold, imageMin, imageMax, pixelThreshold, pixelMin, pixelMax}));
            }
        }
    }

    /**
     * Learns a calibration.
     *
     * @param scores raw image scores of the calibration images
     * @param anomalous their labels
     * @param maps their raw maps at image resolution
     * @param masks their ground truth (null entries or all-false masks for normal images)
     * @return the calibration
     */
    public static Calibration learn(float[] scores, boolean[] anomalous, List<AnomalyMap> maps, List<Mask> masks) {
        if (scores.length == 0) {
            throw new IllegalArgumentException("Calibration needs at least one image");
        }
        if (anomalous.length != scores.length || maps.size() != scores.length || masks.size() != scores.length) {
            throw new IllegalArgumentException("Calibration inputs differ in length");
        }
        float pixMin = Float.POSITIVE_INFINITY;
        float pixMax = Float.NEGATIVE_INFINITY;
        for (AnomalyMap m : maps) {
            pixMin = Math.min(pixMin, m.min());
            pixMax = Math.max(pixMax, m.max());
        }
        float imgMin = Float.POSITIVE_INFINITY;
        float imgMax = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            imgMin = Math.min(imgMin, s);
            imgMax = Math.max(imgMax, s);
        }
        boolean anyAnomalous = false;
        boolean anyNormal = false;
        for (boolean a : anomalous) {
            anyAnomalous |= a;
            anyNormal |= !a;
        }
        if (anyAnomalous && anyNormal) {
            float imgThr = BinaryMetrics.f1Max(scores, anomalous).threshold();
            boolean anyMask = masks.stream().anyMatch(m -> m != null && m.count() > 0);
            float pixThr;
            if (anyMask) {
                PixelMetrics pm = new PixelMetrics();
                for (int i = 0; i < maps.size(); i++) {
                    pm.add(maps.get(i), masks.get(i));
                }
                pixThr = pm.f1Max().threshold();
            } else {
                pixThr = normalPercentile(maps, anomalous);
            }
            return new Calibration(imgThr, imgMin, imgMax, pixThr, pixMin, pixMax, Rule.F1_ADAPTIVE);
        }
        float[] normal = new float[scores.length];
        int n = 0;
        for (int i = 0; i < scores.length; i++) {
            if (!anomalous[i]) {
                normal[n++] = scores[i];
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("Calibration needs normal images; all " + scores.length
                    + " validation images are anomalous");
        }
        float imgThr = percentile(Arrays.copyOf(normal, n), NORMAL_PERCENTILE);
        return new Calibration(imgThr, imgMin, imgMax, normalPercentile(maps, anomalous), pixMin, pixMax,
                Rule.NORMAL_PERCENTILE);
    }

    private static float normalPercentile(List<AnomalyMap> maps, boolean[] anomalous) {
        float[] maxima = new float[maps.size()];
        int n = 0;
        for (int i = 0; i < maps.size(); i++) {
            if (!anomalous[i]) {
                maxima[n++] = maps.get(i).max();
            }
        }
        return percentile(Arrays.copyOf(maxima, n), NORMAL_PERCENTILE);
    }

    /** Percentile with linear interpolation between closest ranks (numpy's default). */
    static float percentile(float[] values, double p) {
        float[] v = values.clone();
        Arrays.sort(v);
        double pos = p / 100.0 * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, v.length - 1);
        return (float) (v[lo] + (pos - lo) * (v[hi] - v[lo]));
    }

    /** @return the raw result completed with normalized score, label and mask */
    public AnomalyResult apply(float score, AnomalyMap map) {
        return new AnomalyResult(score, map, AnomalyMap.normalize(score, imageThreshold, imageMin, imageMax),
                Optional.of(score >= imageThreshold), Optional.of(map.threshold(pixelThreshold)));
    }

    /** @return the map normalized like scores: the pixel threshold becomes 0.5 */
    public AnomalyMap normalize(AnomalyMap map) {
        return map.normalized(pixelThreshold, pixelMin, pixelMax);
    }
}
