package dev.anomalysdk.bench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The results of a benchmark run: one {@link PairResult} per (detector, category), the environment, and the
 * expectations' verdicts. The report files are in {@link #reportDirectory()}.
 */
public final class BenchmarkResult {
    private final Benchmark benchmark;
    private final String format;
    private final Environment environment;
    private final List<PairResult> pairs;

    BenchmarkResult(Benchmark benchmark, String format, Environment environment, List<PairResult> pairs) {
        this.benchmark = benchmark;
        this.format = format;
        this.environment = environment;
        this.pairs = List.copyOf(pairs);
    }

    /** @return the benchmark that ran */
    public Benchmark benchmark() {
        return benchmark;
    }

    /** @return the dataset layout that was read, e.g. {@code mvtec} */
    public String format() {
        return format;
    }

    /** @return the machine and JVM */
    public Environment environment() {
        return environment;
    }

    /** @return every pair, in category then detector order */
    public List<PairResult> pairs() {
        return pairs;
    }

    /** @return the folder holding report.md, report.html, results.csv and results.json */
    public Path reportDirectory() {
        return benchmark.out();
    }

    /** @return the categories, in order */
    public List<String> categories() {
        return pairs.stream().map(PairResult::category).distinct().toList();
    }

    /**
     * @return the pair's result
     * @throws IllegalArgumentException naming the pair when it was not benchmarked
     */
    public PairResult pair(String detector, String category) {
        return pairs.stream().filter(p -> p.detector().equals(detector) && p.category().equals(category))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("No result for " + detector + "/"
                        + category + "; benchmarked: " + pairs.stream().map(p -> p.detector() + "/" + p.category())
                        .toList()));
    }

    /** @return the metric's mean over the detector's categories that have it, or empty when none has */
    public OptionalDouble mean(String detector, Metric metric) {
        return pairs.stream().filter(p -> p.detector().equals(detector)).map(metric::of).filter(Objects::nonNull)
                .mapToDouble(Double::doubleValue).average();
    }

    /** @return one message per unmet expectation and pair, naming the pair, metric, value and bound */
    public List<String> failures() {
        List<String> out = new ArrayList<>();
        for (PairResult p : pairs) {
            for (Expectation e : benchmark.expectations()) {
                e.check(p).ifPresent(out::add);
            }
        }
        return out;
    }

    /**
     * Fails (for JUnit and any other test framework) when an expectation is not met.
     *
     * @throws AssertionError listing every failure and the report's location
     */
    public void assertExpectations() {
        List<String> f = failures();
        if (!f.isEmpty()) {
            throw new AssertionError("Benchmark expectations not met:\n  " + String.join("\n  ", f)
                    + "\nReport: " + reportDirectory().resolve("report.html"));
        }
    }
}
