package dev.anomalysdk.core;

import java.util.Optional;

/**
 * What a detector says about one image.
 *
 * @param score raw image anomaly score in the method's own units (higher = more anomalous)
 * @param map raw per-pixel scores at the input image's resolution
 * @param normalizedScore the score mapped to [0, 1] with the detector's threshold at 0.5 (see
 *     {@link Calibration}); {@code NaN} when the detector has no calibration
 * @param anomalous the predicted label once a threshold is known, otherwise empty
 * @param mask the predicted defect pixels once a threshold is known, otherwise empty
 */
public record AnomalyResult(
        float score,
        AnomalyMap map,
        float normalizedScore,
        Optional<Boolean> anomalous,
        Optional<Mask> mask) {

    /** @return a result with only the raw score and map */
    public static AnomalyResult raw(float score, AnomalyMap map) {
        return new AnomalyResult(score, map, Float.NaN, Optional.empty(), Optional.empty());
    }
}
