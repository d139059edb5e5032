package dev.anomalysdk.bench.cli;

import dev.anomalysdk.bench.harness.Benchmark;
import dev.anomalysdk.bench.harness.BenchmarkResult;
import dev.anomalysdk.bench.harness.PairResult;
import dev.anomalysdk.core.Detectors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ad benchmark}: fits and evaluates detectors on dataset categories and writes a report; see
 * {@link Benchmark} and {@code docs/benchmark.md}.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = {"Fit and evaluate every detector on every category; measure time, memory and model size.",
            "Writes REPORT_DIR/report.html (self-contained), report.md, results.csv, results.json; finished "
                    + "(detector, category) pairs are kept in REPORT_DIR/runs/, so an interrupted run resumes."})
final class BenchmarkCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--detectors", defaultValue = "all", paramLabel = "NAMES",
            description = "Comma-separated detector names, or 'all' (default: ${DEFAULT-VALUE}).")
    String detectors;

    @Option(names = "--data", required = true, paramLabel = "ROOT", description = "Dataset root folder.")
    Path data;

    @Option(names = "--categories", defaultValue = "all", paramLabel = "all|A,B",
            description = "Comma-separated categories, or 'all' (default: ${DEFAULT-VALUE}).")
    String categories;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "FORMAT",
            description = "Dataset layout (see 'ad fit --help'; default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "REPORT_DIR", description = "Where the report goes.")
    Path out;

    @Option(names = "--set", paramLabel = "[DETECTOR.]KEY=VALUE",
            description = "Set a parameter of one detector (DETECTOR.KEY) or of every detector that declares KEY "
                    + "(repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--expect", paramLabel = "METRIC>=X",
            description = "A bound every pair must meet, e.g. 'image_auroc>=0.9' or 'latency_p95_ms<=200' "
                    + "(repeatable); exit code 1 when one is not met.")
    List<String> expectations = new ArrayList<>();

    @Option(names = "--latency-images", defaultValue = "50", paramLabel = "N",
            description = "Measure per-image latency on at most N test images (default: ${DEFAULT-VALUE}).")
    int latencyImages;

    @Option(names = "--gallery", defaultValue = "4", paramLabel = "N",
            description = "Worst false positives and false negatives shown per pair (default: ${DEFAULT-VALUE}).")
    int gallery;

    @Option(names = "--fresh",
            description = "Set earlier results in REPORT_DIR/runs aside (moved, not deleted) and run every pair again.")
    boolean fresh;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Benchmark.Builder b = Benchmark.builder().data(data).format(format).out(this.out)
                .latencyImages(latencyImages).galleryCount(gallery).fresh(fresh);
        for (String d : list(detectors, Detectors.names())) {
            b.detector(d);
        }
        b.categories(list(categories, List.of()));
        settings.forEach(b::set);
        expectations.forEach(b::expect);
        Benchmark benchmark = b.build();
        BenchmarkResult result;
        try (CliProgress progress = new CliProgress()) {
            result = benchmark.run(progress);
        }
        out.println();
        for (String d : benchmark.detectors()) {
            out.println("Detector: " + d);
            List<String> cats = new ArrayList<>();
            List<dev.anomalysdk.core.metrics.MetricsReport> reports = new ArrayList<>();
            for (PairResult p : result.pairs()) {
                if (p.detector().equals(d)) {
                    cats.add(p.category());
                    reports.add(p.metrics());
                }
            }
            out.print(MetricsTable.of(cats, reports));
        }
        out.println("Report: " + result.reportDirectory().resolve("report.html"));
        List<String> failures = result.failures();
        if (!failures.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            failures.forEach(f -> err.println("ad: expectation not met: " + f));
            return 1;
        }
        return 0;
    }

    private static List<String> list(String text, List<String> all) {
        if (text.trim().equals("all")) {
            return all;
        }
        List<String> out = new ArrayList<>();
        for (String s : text.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("Empty list: '" + text + "'");
        }
        return out;
    }
}
