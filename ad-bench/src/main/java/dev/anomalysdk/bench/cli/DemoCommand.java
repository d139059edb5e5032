package dev.anomalysdk.bench.cli;

import dev.anomalysdk.bench.predictions.PredictionEvaluator;
import dev.anomalysdk.bench.predictions.PredictionWriter;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.MetricsReport;
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
 * {@code ad demo}: the whole workflow on the bundled synthetic dataset: generate it, fit the default
 * detector per category, predict the test images, evaluate, print a table. Uses the same code paths as
 * {@code ad fit}, {@code ad predict} and {@code ad evaluate}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate the synthetic dataset, fit, predict, evaluate and print a table.")
final class DemoCommand implements Callable<Integer> {
    /** The detector the demo uses unless told otherwise: trains from scratch, needs no pretrained weights. */
    static final String DEFAULT_DETECTOR = "nsa";
    /**
     * Demo-sized settings of the default detector: the synthetic images at their 128-pixel size, 64-pixel
     * training crops, 30 epochs capped at 40 seconds per category, so the whole demo takes a minute or two on
     * two cores. Real data wants the defaults (a 20-minute budget), see docs/detectors/nsa.md.
     */
    static final Map<String, String> DEFAULT_SETTINGS = Map.of("image_size", "128", "crop_size", "64",
            "epochs", "30", "max_minutes", "0.67", "validation_images", "4");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--workdir", defaultValue = "demo-output", paramLabel = "DIR",
            description = "Where data, models, predictions and metrics go (default: ${DEFAULT-VALUE}).")
    Path workdir;

    @Option(names = "--detector", defaultValue = DEFAULT_DETECTOR, paramLabel = "NAME",
            description = "Detector to run (default: ${DEFAULT-VALUE}).")
    String detector;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the dataset and the detector.")
    long seed;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set a detector parameter (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path data = workdir.resolve("data");
        out.println("Generating the synthetic dataset in " + data + " ...");
        out.flush();
        SyntheticDataset.builder(data).seed(seed).overwrite(true).build().generate();
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.putIfAbsent("seed", Long.toString(seed));
        if (detector.equals(DEFAULT_DETECTOR)) {
            DEFAULT_SETTINGS.forEach(s::putIfAbsent);
        }
        List<String> categories = DatasetReaders.byName("mvtec").categories(data);
        List<MetricsReport> reports = new ArrayList<>();
        for (String category : categories) {
            DatasetSplit split = DatasetReaders.byName("mvtec").read(data, category);
            Path model = workdir.resolve("models").resolve(category);
            Path pred = workdir.resolve("predictions").resolve(category);
            try (CliProgress progress = new CliProgress()) {
                try (Detector d = Detectors.create(detector, s)) {
                    out.printf("[%s] fitting %s on %d images ...%n", category, detector, split.train().size());
                    out.flush();
                    d.fit(Detector.FitData.of(split.train(), split.validation()), progress);
                    d.save(model);
                }
                try (Detector d = Detectors.load(model)) {
                    out.printf("[%s] predicting %d test images ...%n", category, split.test().size());
                    out.flush();
                    PredictionWriter.predict(d, data.resolve(category).resolve("test"), pred, progress);
                }
            }
            MetricsReport r = PredictionEvaluator.evaluate(split, pred);
            EvaluateCommand.writeJson(r, workdir.resolve("metrics").resolve(category + ".json"));
            reports.add(r);
        }
        out.println();
        out.println("Detector: " + detector + " (outputs in " + workdir + ")");
        out.print(MetricsTable.of(categories, reports));
        out.flush();
        return 0;
    }
}
