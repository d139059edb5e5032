package dev.anomalysdk.bench.cli;

import dev.anomalysdk.bench.predictions.PredictionWriter;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ad predict}: scores images with a saved model. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Score an image or every image under a folder with a saved model.",
            "Writes PRED_DIR/scores.csv (path,score,label), PRED_DIR/maps/<path>.npy (float32 map, image size) "
                    + "and PRED_DIR/overlays/<path>.png."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL_DIR", description = "A model saved by 'ad fit'.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE_OR_DIR",
            description = "An image, or a folder searched recursively (ground_truth folders are skipped).")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "PRED_DIR", description = "Where to write predictions.")
    Path out;

    @Override
    public Integer call() throws Exception {
        try (Detector d = Detectors.load(model); CliProgress progress = new CliProgress()) {
            PredictionWriter.Summary s = PredictionWriter.predict(d, input, out, progress);
            spec.commandLine().getOut().printf("Scored %d images (%d above the threshold); predictions in %s%n",
                    s.images(), s.anomalous(), out);
        }
        return 0;
    }
}
