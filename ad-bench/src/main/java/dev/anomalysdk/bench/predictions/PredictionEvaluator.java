package dev.anomalysdk.bench.predictions;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.metrics.Curve;
import dev.anomalysdk.core.metrics.Evaluation;
import dev.anomalysdk.core.metrics.MetricsReport;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a prediction directory (as {@link PredictionWriter} writes it, or any tool producing the same
 * files) against a category's ground truth. Predictions are paired with test images by path relative to
 * the category's {@code test} folder; a leading {@code test/} is accepted. Pixel metrics are computed when
 * every test image has a map in {@code maps/}.
 */
public final class PredictionEvaluator {
    private PredictionEvaluator() {}

    /**
     * @param split the category (its test images are evaluated)
     * @param predictions the prediction directory
     * @return the metrics
     * @throws IOException naming test images without prediction, malformed files, or maps of the wrong size
     */
    public static MetricsReport evaluate(DatasetSplit split, Path predictions) throws IOException {
        return evaluation(split, predictions).report();
    }

    /**
     * Metrics and the curves behind them, from the same pass as {@link #evaluate}.
     *
     * @param report the metrics, equal to what {@link #evaluate} returns
     * @param imageRoc the image-level ROC curve (every point)
     * @param pixelRoc the pixel-level ROC curve (thinned), or null without pixel metrics
     * @param pro the PRO curve up to FPR 0.3 (thinned), or null without pixel metrics
     */
    public record Evaluated(MetricsReport report, Curve imageRoc, Curve pixelRoc, Curve pro) { }

    /**
     * Like {@link #evaluate}, also returning the ROC and PRO curves for plots.
     *
     * @param maxPoints about how many points to keep per pixel curve
     * @throws IOException as {@link #evaluate} does
     */
    public static Evaluated evaluateWithCurves(DatasetSplit split, Path predictions, int maxPoints)
            throws IOException {
        Evaluation eval = evaluation(split, predictions);
        MetricsReport report = eval.report();
        return new Evaluated(report, eval.imageRocCurve(),
                report.hasPixelMetrics() ? eval.pixelRocCurve(maxPoints) : null,
                report.hasPixelMetrics() ? eval.proCurve(maxPoints) : null);
    }

    private static Evaluation evaluation(DatasetSplit split, Path predictions) throws IOException {
        if (split.test().isEmpty()) {
            throw new IOException("Category '" + split.category() + "' has no test images to evaluate");
        }
        Map<String, ScoresCsv.Row> byPath = new HashMap<>();
        for (ScoresCsv.Row r : ScoresCsv.read(predictions.resolve("scores.csv"))) {
            String key = r.path().startsWith("test/") ? r.path().substring(5) : r.path();
            byPath.put(key, r);
        }
        List<String> missing = new ArrayList<>();
        for (Sample s : split.test()) {
            if (!byPath.containsKey(s.id())) {
                missing.add(s.id());
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(missing.size() + " test image(s) of '" + split.category() + "' have no prediction in "
                    + predictions.resolve("scores.csv") + ": " + String.join(", ", missing.subList(0,
                            Math.min(10, missing.size()))) + (missing.size() > 10 ? ", ..." : ""));
        }
        boolean withMaps = split.test().stream().allMatch(s -> Files.isRegularFile(mapFile(predictions, s)));
        Evaluation eval = new Evaluation();
        for (Sample s : split.test()) {
            float score = byPath.get(s.id()).score();
            AnomalyMap map = null;
            Mask truth = null;
            if (withMaps) {
                Path file = mapFile(predictions, s);
                map = readMap(file);
                try {
                    truth = s.hasMask() ? s.loadMask(map.height(), map.width()) : null;
                } catch (java.io.UncheckedIOException | IllegalArgumentException e) {
                    throw new IOException("Map " + file + " (" + map.width() + "x" + map.height()
                            + ") does not match the ground truth: " + e.getMessage(), e);
                }
            }
            eval.add(s.id(), score, s.anomalous(), map, truth);
        }
        return eval;
    }

    private static Path mapFile(Path predictions, Sample s) {
        Path direct = predictions.resolve("maps").resolve(PredictionWriter.withoutExtension(s.id()) + ".npy");
        if (Files.isRegularFile(direct)) {
            return direct;
        }
        return predictions.resolve("maps").resolve("test").resolve(PredictionWriter.withoutExtension(s.id()) + ".npy");
    }

    private static AnomalyMap readMap(Path file) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            Npy.Array a = Npy.read(in, file.toString(), 1L << 28);
            if (a.shape().length != 2) {
                throw new IOException(file + ": a map must be 2-D (height x width), got " + a.shape().length + "-D");
            }
            try {
                return new AnomalyMap((int) a.shape()[0], (int) a.shape()[1], a.data());
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
    }
}
