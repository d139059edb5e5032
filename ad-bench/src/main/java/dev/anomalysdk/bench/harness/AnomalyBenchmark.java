package dev.anomalysdk.bench.harness;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Declares a benchmark as a JUnit 5 test: the method runs after the benchmark, and the test fails when an
 * expectation is not met (the message names the pair, metric, value and bound). The method may take a
 * {@link BenchmarkResult} parameter for further checks. Finished pairs are reused on the next run (see
 * {@link Benchmark}).
 *
 * <pre>{@code
 * class InspectionBenchmarks {
 *     @AnomalyBenchmark(detectors = "cnn_dictionary", data = "${mvtec.root}", categories = {"bottle"},
 *             settings = {"backbone=/models/wrn50.pt"}, expect = {"image_auroc >= 0.95"},
 *             out = "target/benchmarks/bottle")
 *     void bottle(BenchmarkResult result) { }
 * }
 * }</pre>
 *
 * <p>{@code ${name}} in {@code data}, {@code out} and {@code settings} is replaced by the system property
 * {@code name}, or else the environment variable {@code name}; a missing one fails the test naming it.
 * Requires {@code junit-jupiter-api} on the class path (users' test suites have it). For benchmarks computed
 * at run time, use {@link Benchmark#builder()} in a plain {@code @Test} and call
 * {@link BenchmarkResult#assertExpectations()}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Test
@ExtendWith(BenchmarkExtension.class)
public @interface AnomalyBenchmark {
    /** @return detector names */
    String[] detectors();

    /** @return the dataset root */
    String data();

    /** @return categories; empty for all */
    String[] categories() default {};

    /** @return the dataset layout, {@code auto} to guess */
    String format() default "auto";

    /** @return {@code [detector.]key=value} settings, as {@code ad benchmark --set} takes them */
    String[] settings() default {};

    /** @return expectations such as {@code image_auroc >= 0.95} */
    String[] expect() default {};

    /** @return the report directory; empty for {@code target/benchmarks/<test class>.<method>} */
    String out() default "";

    /** @return test images for the latency measurement, at most */
    int latencyImages() default 50;
}
