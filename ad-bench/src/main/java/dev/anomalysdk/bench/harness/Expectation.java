package dev.anomalysdk.bench.harness;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bound a benchmark result must meet for every (detector, category) pair, e.g. {@code image_auroc >= 0.95}
 * or {@code latency_p95_ms <= 200}.
 *
 * @param metric what is bounded
 * @param atLeast {@code true} for a lower bound ({@code >=}), {@code false} for an upper bound ({@code <=})
 * @param bound the bound
 */
public record Expectation(Metric metric, boolean atLeast, double bound) {
    private static final Pattern FORM = Pattern.compile("\\s*([A-Za-z0-9_]+)\\s*(>=|<=)\\s*(\\S+)\\s*");

    /** Rejects a null metric and a non-finite bound. */
    public Expectation {
        if (metric == null) {
            throw new IllegalArgumentException("Expectation needs a metric");
        }
        if (!Double.isFinite(bound)) {
            throw new IllegalArgumentException("Bound of " + metric.key() + " must be finite, got " + bound);
        }
    }

    /** @return {@code metric >= bound} */
    public static Expectation atLeast(Metric metric, double bound) {
        return new Expectation(metric, true, bound);
    }

    /** @return {@code metric <= bound} */
    public static Expectation atMost(Metric metric, double bound) {
        return new Expectation(metric, false, bound);
    }

    /**
     * @param text {@code METRIC >= NUMBER} or {@code METRIC <= NUMBER}, e.g. {@code image_auroc >= 0.95}
     * @return the expectation
     * @throws IllegalArgumentException naming the text when it is malformed or the metric unknown
     */
    public static Expectation parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException("Invalid expectation '" + text
                    + "': expected METRIC >= NUMBER or METRIC <= NUMBER, e.g. image_auroc >= 0.95");
        }
        double bound;
        try {
            bound = Double.parseDouble(m.group(3));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid expectation '" + text + "': '" + m.group(3)
                    + "' is not a number", e);
        }
        return new Expectation(Metric.byKey(m.group(1)), m.group(2).equals(">="), bound);
    }

    /**
     * @param result one pair's result
     * @return a message naming the pair, metric, value and bound when the expectation fails; empty when met
     */
    public Optional<String> check(PairResult result) {
        Double v = metric.of(result);
        String pair = result.detector() + "/" + result.category();
        if (v == null) {
            return Optional.of(pair + ": " + metric.key() + " is not available (expected " + this + ")");
        }
        boolean ok = atLeast ? v >= bound : v <= bound;
        if (ok) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%s: %s = %.4f, expected %s", pair, metric.key(), v, this));
    }

    @Override
    public String toString() {
        return metric.key() + (atLeast ? " >= " : " <= ") + bound;
    }
}
