package dev.anomalysdk.bench.harness;

import dev.anomalysdk.core.metrics.MetricsReport;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The numbers a benchmark reports per (detector, category) pair, by their key in {@code results.csv},
 * {@code results.json} and expectations ({@code image_auroc >= 0.95}).
 */
public enum Metric {
    /** Image-level AUROC. */
    IMAGE_AUROC("image AUROC", true, r -> r.metrics().imageAuroc()),
    /** Image-level step-wise average precision. */
    IMAGE_AP("image AP", true, r -> r.metrics().imageAveragePrecision()),
    /** Image-level best F1. */
    IMAGE_F1_MAX("image F1-max", true, r -> r.metrics().imageF1Max().f1()),
    /** Pixel-level AUROC. */
    PIXEL_AUROC("pixel AUROC", true, r -> r.metrics().pixelAuroc()),
    /** AUPRO up to FPR 0.3, normalized. */
    AUPRO("AUPRO", true, r -> r.metrics().pixelAupro()),
    /** Pixel-level best F1. */
    PIXEL_F1_MAX("pixel F1-max", true, r -> r.metrics().pixelF1Max() == null ? null : r.metrics().pixelF1Max().f1()),
    /** Pixel-level average precision. */
    PIXEL_AP("pixel AP", true, r -> r.metrics().pixelAveragePrecision()),
    /** Fit time in seconds. */
    FIT_SECONDS("fit s", false, r -> r.performance().fitSeconds()),
    /** Median latency of one image, milliseconds. */
    LATENCY_MEDIAN_MS("latency median ms", false, r -> r.performance().latencyMedianMs()),
    /** 95th-percentile latency of one image, milliseconds. */
    LATENCY_P95_MS("latency p95 ms", false, r -> r.performance().latencyP95Ms()),
    /** Images per second in batches. */
    THROUGHPUT("images/s", true, r -> r.performance().throughputImagesPerSecond()),
    /** Peak heap while fitting, MiB. */
    FIT_PEAK_HEAP_MB("fit heap MiB", false, r -> mib(r.performance().fitPeakHeapBytes())),
    /** Peak heap while predicting, MiB. */
    PREDICT_PEAK_HEAP_MB("predict heap MiB", false, r -> mib(r.performance().predictPeakHeapBytes())),
    /** Peak process RSS while fitting, MiB. */
    FIT_PEAK_RSS_MB("fit RSS MiB", false, r -> mib(r.performance().fitPeakRssBytes())),
    /** Peak process RSS while predicting, MiB. */
    PREDICT_PEAK_RSS_MB("predict RSS MiB", false, r -> mib(r.performance().predictPeakRssBytes())),
    /** Saved model size, MiB. */
    MODEL_MB("model MiB", false, r -> mib(r.performance().modelBytes()));

    private final String label;
    private final boolean higherIsBetter;
    private final Function<PairResult, Double> value;

    Metric(String label, boolean higherIsBetter, Function<PairResult, Double> value) {
        this.label = label;
        this.higherIsBetter = higherIsBetter;
        this.value = value;
    }

    private static Double mib(long bytes) {
        return bytes < 0 ? null : bytes / (1024.0 * 1024.0);
    }

    /** @return the key, e.g. {@code image_auroc} */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return a short human label, e.g. {@code image AUROC} */
    public String label() {
        return label;
    }

    /** @return whether larger values are better */
    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /**
     * @param result one pair's result
     * @return the value, or null when the pair has none (pixel metrics without masks, RSS without /proc)
     */
    public Double of(PairResult result) {
        return value.apply(result);
    }

    /** @return whether this metric comes from the evaluation (not from timing or memory) */
    public boolean isQuality() {
        return ordinal() <= PIXEL_AP.ordinal();
    }

    /**
     * @param key a metric key in any case, e.g. {@code image_auroc}
     * @return the metric
     * @throws IllegalArgumentException listing the known keys
     */
    public static Metric byKey(String key) {
        for (Metric m : values()) {
            if (m.key().equalsIgnoreCase(key.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("Unknown metric '" + key + "'; known: "
                + Arrays.stream(values()).map(Metric::key).collect(Collectors.joining(", ")));
    }
}
