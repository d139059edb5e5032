package dev.anomalysdk.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.anomalysdk.bench.predictions.PredictionEvaluator;
import dev.anomalysdk.core.metrics.MetricsReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ad evaluate}: metrics of predictions on disk against a category's ground truth. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate a prediction directory against a category's test ground truth.",
            "Predictions are paired with test images by path relative to the category's test folder."})
final class EvaluateCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    DatasetOptions dataset;

    @Option(names = "--pred", required = true, paramLabel = "PRED_DIR", description = "Output of 'ad predict'.")
    Path predictions;

    @Option(names = "--out", required = true, paramLabel = "METRICS_JSON", description = "Where to write the metrics.")
    Path out;

    @Override
    public Integer call() throws Exception {
        MetricsReport report = PredictionEvaluator.evaluate(dataset.read(), predictions);
        writeJson(report, out);
        spec.commandLine().getOut().print(MetricsTable.of(dataset.category, report));
        return 0;
    }

    static void writeJson(Object value, Path out) throws java.io.IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + out.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), value);
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
