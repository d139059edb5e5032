package dev.anomalysdk.bench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.SyntheticDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;

class BenchmarkTest {
    /** Small, fast settings of cnn_dictionary (random-weight ResNet-18 at 1/4 width, 64 px). */
    static final Map<String, String> SMALL = Map.of("backbone", "resnet18:width=16", "image_size", "64",
            "layers", "layer1,layer2", "l1_normalize", "false", "dictionary_size", "32", "kmeans_iterations", "10");

    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void dataset() throws IOException {
        data = tmp.resolve("data");
        SyntheticDataset.builder(data).imageSize(64).trainCount(12).testGoodCount(4).anomalousPerDefect(1).seed(11)
                .build().generate();
    }

    static Benchmark.Builder small(Path out) {
        return Benchmark.builder().detector("cnn_dictionary", SMALL).data(data).out(out).latencyImages(3)
                .galleryCount(1);
    }

    /** Records the tasks reported; throws when a task starts with {@code stopAt} (a simulated interruption). */
    static final class Recorder implements ProgressListener {
        final List<String> tasks = Collections.synchronizedList(new ArrayList<>());
        final String stopAt;

        Recorder(String stopAt) {
            this.stopAt = stopAt;
        }

        @Override
        public void update(String task, long done, long total) {
            tasks.add(task);
            if (stopAt != null && task.startsWith(stopAt)) {
                throw new IllegalStateException("simulated interruption");
            }
        }
    }

    @Test
    void interruptedRunResumesKeepingFinishedPairsAndRefusesAChangedConfiguration() throws IOException {
        Path out = tmp.resolve("resume");
        // Categories run in sorted order: object, then texture. Interrupt inside texture's fit.
        Recorder interrupting = new Recorder("[cnn_dictionary/texture]");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> small(out).build().run(interrupting));
        assertTrue(e.getMessage().contains("cnn_dictionary/texture"), e.getMessage());
        Path objectRun = out.resolve("runs/cnn_dictionary__object.json");
        assertTrue(Files.isRegularFile(objectRun), "the finished pair is stored");
        assertFalse(Files.exists(out.resolve("runs/cnn_dictionary__texture.json")));
        assertFalse(Files.exists(out.resolve("report.html")));
        byte[] stored = Files.readAllBytes(objectRun);

        Recorder resumed = new Recorder(null);
        BenchmarkResult r = small(out).build().run(resumed);
        assertTrue(resumed.tasks.stream().noneMatch(t -> t.startsWith("[cnn_dictionary/object]")),
                "object is not run again: " + resumed.tasks);
        assertTrue(resumed.tasks.stream().anyMatch(t -> t.startsWith("[cnn_dictionary/texture]")));
        assertArrayEquals(stored, Files.readAllBytes(objectRun), "a finished pair's result is never rewritten");
        assertEquals(List.of("object", "texture"), r.categories());
        assertTrue(Files.isRegularFile(out.resolve("report.html")));
        PairResult object = RunStore.JSON.readValue(stored, PairResult.class);
        assertEquals(object.metrics(), r.pair("cnn_dictionary", "object").metrics());

        // Expectations are checked on results (they are not part of the fingerprint: nothing is refitted).
        Recorder again = new Recorder(null);
        BenchmarkResult checked = small(out).expect("image_auroc >= 1.01").expect("image_auroc >= 0").build()
                .run(again);
        assertTrue(again.tasks.stream().noneMatch(t -> t.startsWith("[")), "nothing refitted: " + again.tasks);
        assertEquals(2, checked.failures().size(), checked.failures().toString());
        AssertionError failed = assertThrows(AssertionError.class, checked::assertExpectations);
        String expectedValue = String.format(Locale.ROOT, "%.4f", r.pair("cnn_dictionary", "object").metrics()
                .imageAuroc());
        assertTrue(failed.getMessage().contains("cnn_dictionary/object: image_auroc = " + expectedValue
                + ", expected image_auroc >= 1.01"), failed.getMessage());

        // A changed configuration is not mixed in silently.
        Benchmark changed = small(out).set("cnn_dictionary.dictionary_size", "16").build();
        IllegalStateException mismatch = assertThrows(IllegalStateException.class, () -> changed.run(ProgressListener.NONE));
        assertTrue(mismatch.getMessage().contains("dictionary_size 32 -> 16")
                && mismatch.getMessage().contains("cnn_dictionary__object.json"), mismatch.getMessage());

        // --fresh sets the earlier results aside (never deletes them) and reruns.
        BenchmarkResult fresh = small(out).set("cnn_dictionary.dictionary_size", "16").categories("texture")
                .fresh(true).build().run(ProgressListener.NONE);
        assertEquals("16", fresh.pair("cnn_dictionary", "texture").settings().get("dictionary_size"));
        try (Stream<Path> s = Files.list(out)) {
            Path previous = s.filter(p -> p.getFileName().toString().startsWith("runs.previous-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no runs.previous-* in " + out));
            assertArrayEquals(stored, Files.readAllBytes(previous.resolve("cnn_dictionary__object.json")));
        }
    }

    @Test
    void settingsApplyToTheDetectorsThatDeclareThemAndUnknownKeysNameTheDetector() {
        Map<String, Map<String, String>> s = Benchmark.resolveSettings(List.of("cnn_dictionary"),
                Map.of("image_size", "96", "cnn_dictionary.image_size", "64", "seed", "3"));
        assertEquals(Map.of("image_size", "64", "seed", "3"), s.get("cnn_dictionary"), "specific wins over shared");

        IllegalArgumentException unknownSpecific = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.resolveSettings(List.of("cnn_dictionary"), Map.of("cnn_dictionary.colour", "red")));
        assertTrue(unknownSpecific.getMessage().contains("'cnn_dictionary'")
                && unknownSpecific.getMessage().contains("'colour'")
                && unknownSpecific.getMessage().contains("dictionary_size"), unknownSpecific.getMessage());

        IllegalArgumentException unknownShared = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.resolveSettings(List.of("cnn_dictionary"), Map.of("colour", "red")));
        assertTrue(unknownShared.getMessage().contains("'colour'")
                && unknownShared.getMessage().contains("cnn_dictionary"), unknownShared.getMessage());

        IllegalArgumentException badValue = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.resolveSettings(List.of("cnn_dictionary"), Map.of("image_size", "huge")));
        assertTrue(badValue.getMessage().contains("cnn_dictionary") && badValue.getMessage().contains("huge"),
                badValue.getMessage());

        IllegalArgumentException unknownDetector = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.builder().detector("nope").data(data).out(tmp).build());
        assertTrue(unknownDetector.getMessage().contains("'nope'"), unknownDetector.getMessage());
    }

    @Test
    void expectationsParseBothBoundsAndRejectMalformedText() {
        assertEquals(Expectation.atLeast(Metric.IMAGE_AUROC, 0.95), Expectation.parse("image_auroc >= 0.95"));
        assertEquals(Expectation.atMost(Metric.LATENCY_P95_MS, 200), Expectation.parse("LATENCY_P95_MS<=200"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Expectation.parse("auroc > 1"));
        assertTrue(e.getMessage().contains("'auroc > 1'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Expectation.parse("colour >= 1"));
        assertTrue(e.getMessage().contains("'colour'") && e.getMessage().contains("image_auroc"), e.getMessage());
    }

    @Test
    void percentilesUseTheNearestRank() {
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, Benchmark.percentile(v, 0.5));
        assertEquals(10, Benchmark.percentile(v, 0.95));
        assertEquals(7, Benchmark.percentile(new double[] {7}, 0.95));
    }

    /** Declared benchmarks, run by {@link #annotatedBenchmarksRunUnderJUnitAndFailOnUnmetExpectations}. */
    static class Declared {
        static volatile BenchmarkResult seen;

        @AnomalyBenchmark(detectors = "cnn_dictionary", data = "${ad.bench.test.data}", categories = "texture",
                out = "${ad.bench.test.out}", latencyImages = 2, expect = "image_auroc >= 0",
                settings = {"backbone=resnet18:width=16", "image_size=64", "layers=layer1,layer2",
                    "l1_normalize=false", "dictionary_size=32", "kmeans_iterations=10"})
        void passes(BenchmarkResult result) {
            seen = result;
        }

        @AnomalyBenchmark(detectors = "cnn_dictionary", data = "${ad.bench.test.data}", categories = "texture",
                out = "${ad.bench.test.out}", latencyImages = 2, expect = "pixel_auroc >= 1.5",
                settings = {"backbone=resnet18:width=16", "image_size=64", "layers=layer1,layer2",
                    "l1_normalize=false", "dictionary_size=32", "kmeans_iterations=10"})
        void fails() {
        }
    }

    @Test
    void annotatedBenchmarksRunUnderJUnitAndFailOnUnmetExpectations() {
        Path out = tmp.resolve("annotated");
        System.setProperty("ad.bench.test.data", data.toString());
        System.setProperty("ad.bench.test.out", out.toString());
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(Declared.class)).build();
            Launcher launcher = LauncherFactory.create();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            launcher.execute(request, listener);
            TestExecutionSummary summary = listener.getSummary();
            assertEquals(2, summary.getTestsFoundCount());
            assertEquals(1, summary.getTestsSucceededCount());
            assertEquals(1, summary.getTestsFailedCount());
            Throwable failure = summary.getFailures().get(0).getException();
            assertTrue(failure instanceof AssertionError, failure.toString());
            assertTrue(failure.getMessage().contains("cnn_dictionary/texture: pixel_auroc = ")
                    && failure.getMessage().contains("expected pixel_auroc >= 1.5"), failure.getMessage());
            assertEquals(1, Declared.seen.pairs().size());
            assertTrue(Files.isRegularFile(out.resolve("report.html")));
        } finally {
            System.clearProperty("ad.bench.test.data");
            System.clearProperty("ad.bench.test.out");
        }
    }
}
