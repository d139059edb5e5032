package dev.anomalysdk.core.metrics;

/**
 * Image- and pixel-level metrics of one evaluated test set.
 *
 * @param images number of images
 * @param anomalous number of anomalous images
 * @param imageAuroc image-level AUROC
 * @param imageAveragePrecision image-level step-wise average precision
 * @param imageF1Max image-level best F1 and its threshold
 * @param pixelAuroc pixel-level AUROC, or null when no anomalous image had a map and a mask
 * @param pixelAupro pixel-level AUPRO up to FPR 0.3 (normalized to [0, 1]), or null likewise
 * @param pixelF1Max pixel-level best F1 and its threshold, or null likewise
 * @param pixelAveragePrecision pixel-level average precision, or null likewise
 */
public record MetricsReport(int images, int anomalous, double imageAuroc, double imageAveragePrecision,
        F1Max imageF1Max, Double pixelAuroc, Double pixelAupro, F1Max pixelF1Max,
        Double pixelAveragePrecision) {

    /** @return whether the pixel-level fields are present */
    public boolean hasPixelMetrics() {
        return pixelAuroc != null;
    }
}
