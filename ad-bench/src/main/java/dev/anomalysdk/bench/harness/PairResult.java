package dev.anomalysdk.bench.harness;

import dev.anomalysdk.core.metrics.Curve;
import dev.anomalysdk.core.metrics.MetricsReport;
import java.util.List;
import java.util.Map;

/**
 * The finished benchmark of one detector on one category, as persisted in {@code REPORT_DIR/runs/} (so an
 * interrupted benchmark resumes without redoing it) and as rendered in the reports.
 *
 * @param detector registered detector name
 * @param category dataset category
 * @param fingerprint hash of everything that determines the result (see {@link Benchmark}); a stored result
 *     with another fingerprint is never mixed into a report
 * @param settings the detector's effective configuration, defaults included
 * @param trainImages training images used by fit
 * @param testImages test images evaluated
 * @param metrics the evaluation of the prediction folder, exactly as {@code ad evaluate} computes it
 * @param performance time, memory and size
 * @param imageRoc image-level ROC curve
 * @param pixelRoc pixel-level ROC curve (thinned), or null without pixel metrics
 * @param pro PRO curve up to FPR 0.3 (thinned), or null without pixel metrics
 * @param gallery worst false positives and false negatives
 * @param predictions the prediction folder, relative to the report directory
 * @param finishedAt ISO-8601 instant the pair finished
 */
public record PairResult(String detector, String category, String fingerprint, Map<String, String> settings,
        int trainImages, int testImages, MetricsReport metrics, Performance performance, Curve imageRoc,
        Curve pixelRoc, Curve pro, List<GalleryItem> gallery, String predictions, String finishedAt) {

    /** Copies the collections. */
    public PairResult {
        settings = Map.copyOf(settings);
        gallery = List.copyOf(gallery);
    }

    /**
     * One image of the error gallery.
     *
     * @param falsePositive {@code true}: a normal image among the highest scores; {@code false}: an anomalous
     *     image among the lowest
     * @param image the sample id (path relative to the category's test folder)
     * @param score its raw image score
     * @param predictedAnomalous whether it was at or above the detector's threshold
     * @param overlay the heat-map overlay file, relative to the report directory
     */
    public record GalleryItem(boolean falsePositive, String image, float score, boolean predictedAnomalous,
            String overlay) { }
}
