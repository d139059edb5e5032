package dev.anomalysdk.bench.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Runs the {@link AnomalyBenchmark} of a test method before the method, fails the test on unmet
 * expectations, and passes the {@link BenchmarkResult} to a method parameter of that type.
 */
public final class BenchmarkExtension implements BeforeTestExecutionCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BenchmarkExtension.class);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    /** Creates the extension (JUnit does, through {@link AnomalyBenchmark}). */
    public BenchmarkExtension() {}

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        result(context).assertExpectations();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == BenchmarkResult.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return result(context);
    }

    private static BenchmarkResult result(ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent("result", k -> run(context), BenchmarkResult.class);
    }

    private static BenchmarkResult run(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        AnomalyBenchmark a = method.getAnnotation(AnomalyBenchmark.class);
        if (a == null) {
            throw new IllegalStateException(method + " is not annotated with @AnomalyBenchmark");
        }
        Benchmark.Builder b = Benchmark.builder()
                .data(Path.of(expand(a.data())))
                .format(a.format())
                .categories(List.of(a.categories()))
                .latencyImages(a.latencyImages())
                .out(a.out().isEmpty()
                        ? Path.of("target", "benchmarks", method.getDeclaringClass().getSimpleName() + "."
                                + method.getName())
                        : Path.of(expand(a.out())));
        for (String d : a.detectors()) {
            b.detector(d);
        }
        for (String s : a.settings()) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Setting '" + s + "' of " + method.getName()
                        + " must be [detector.]key=value");
            }
            b.set(s.substring(0, eq).trim(), expand(s.substring(eq + 1).trim()));
        }
        for (String e : a.expect()) {
            b.expect(e);
        }
        try {
            return b.build().run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code ${name}} with the system property or environment variable {@code name}. */
    static String expand(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = System.getProperty(name, System.getenv(name));
            if (v == null) {
                throw new IllegalArgumentException("'" + text + "' names ${" + name
                        + "}, but there is no such system property or environment variable");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
