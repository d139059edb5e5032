package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.metrics.MetricsReport;
import java.util.List;
import java.util.Locale;

/** Renders metrics as a small fixed-width text table. */
final class MetricsTable {
    private MetricsTable() {}

    static String header() {
        return String.format(Locale.ROOT, "%-14s %7s %7s %7s %7s %7s %7s%n", "category", "images", "I-AUROC",
                "I-F1max", "P-AUROC", "AUPRO", "P-F1max");
    }

    static String row(String category, MetricsReport r) {
        return String.format(Locale.ROOT, "%-14s %7d %7s %7s %7s %7s %7s%n", category, r.images(),
                fmt(r.imageAuroc()), fmt(r.imageF1Max().f1()), fmt(r.pixelAuroc()), fmt(r.pixelAupro()),
                r.pixelF1Max() == null ? "-" : fmt(r.pixelF1Max().f1()));
    }

    static String of(String category, MetricsReport r) {
        return header() + row(category, r);
    }

    static String of(List<String> categories, List<MetricsReport> reports) {
        StringBuilder sb = new StringBuilder(header());
        for (int i = 0; i < categories.size(); i++) {
            sb.append(row(categories.get(i), reports.get(i)));
        }
        return sb.toString();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
}
