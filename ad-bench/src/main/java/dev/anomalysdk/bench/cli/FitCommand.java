package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.data.DatasetSplit;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ad fit}: fits a detector on a category's normal images and saves it. */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit a detector on a category's normal training images and save the model.")
final class FitCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "NAME", description = "Detector name (see 'ad list').")
    String detector;

    @Mixin
    DatasetOptions dataset;

    @Option(names = "--out", required = true, paramLabel = "MODEL_DIR", description = "Where to save the model.")
    Path out;

    @Option(names = "--backbone", paramLabel = "FILE",
            description = "Backbone for detectors that use one: an exported TorchScript file or URL.")
    String backbone;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set a detector parameter (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> s = new LinkedHashMap<>(settings);
        if (backbone != null) {
            boolean accepts = Detectors.provider(detector).params().stream().anyMatch(p -> p.key().equals("backbone"));
            if (!accepts) {
                throw new IllegalArgumentException("Detector '" + detector + "' takes no --backbone");
            }
            s.put("backbone", backbone);
        }
        DatasetSplit split = dataset.read();
        long start = System.nanoTime();
        try (Detector d = Detectors.create(detector, s); CliProgress progress = new CliProgress()) {
            d.fit(Detector.FitData.of(split.train(), split.validation()), progress);
            d.save(out);
            spec.commandLine().getOut().printf("Fitted %s on %d images of '%s' in %.1f s; model saved to %s%n",
                    detector, split.train().size(), split.category(), (System.nanoTime() - start) / 1e9, out);
        }
        return 0;
    }
}
