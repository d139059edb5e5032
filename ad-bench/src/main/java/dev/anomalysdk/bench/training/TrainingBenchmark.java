package dev.anomalysdk.bench.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures a trainable detector on this machine with the synthetic texture dataset: training throughput
 * (images per second over the optimizer steps, from the model's provenance), inference latency of one image
 * (median of repeated single-image predictions, pre- and post-processing included) and batched inference
 * throughput, plus the test image AUROC as a sanity check.
 *
 * <pre>
 * java -cp "ad-bench/target/ad-bench.jar:ad-bench/target/lib/*" dev.anomalysdk.bench.training.TrainingBenchmark \
 *     draem image_size=256 recon_width=16 disc_width=16 epochs=2 batch_size=8
 * </pre>
 * Arguments: the detector name, then {@code key=value} settings; {@code train=N} sets the number of synthetic
 * training images (default 32) and {@code repeats=N} the single-image predictions timed (default 20).
 */
public final class TrainingBenchmark {
    private TrainingBenchmark() {}

    /**
     * @param args detector name and settings
     * @throws IOException when the temporary dataset cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: TrainingBenchmark DETECTOR [key=value ...] [train=N] [repeats=N]");
            System.exit(2);
        }
        String name = args[0];
        Map<String, String> settings = new LinkedHashMap<>();
        int trainCount = 32;
        int repeats = 20;
        for (String a : Arrays.copyOfRange(args, 1, args.length)) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("Expected key=value, got: " + a);
            }
            switch (kv[0]) {
                case "train" -> trainCount = Integer.parseInt(kv[1]);
                case "repeats" -> repeats = Integer.parseInt(kv[1]);
                default -> settings.put(kv[0], kv[1]);
            }
        }
        int size = Integer.parseInt(settings.getOrDefault("image_size", "256"));
        Path tmp = Files.createTempDirectory("ad-training-benchmark");
        SyntheticDataset.builder(tmp).categories(SyntheticDataset.TEXTURE).imageSize(size).trainCount(trainCount)
                .testGoodCount(8).anomalousPerDefect(2).seed(1).build().generate();
        DatasetSplit split = DatasetReaders.byName("mvtec").read(tmp, SyntheticDataset.TEXTURE);
        try (Detector d = Detectors.create(name, settings)) {
            long t0 = System.nanoTime();
            d.fit(Detector.FitData.of(split.train(), List.of()));
            double fitSeconds = (System.nanoTime() - t0) / 1e9;
            JsonNode provenance = d instanceof BaseDetector b ? b.provenance() : new ObjectMapper().createObjectNode();
            List<ImageData> test = split.test().stream().map(Sample::loadImage).toList();
            // Warm-up, then single-image latency.
            d.predict(test.get(0));
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                ImageData img = test.get(i % test.size());
                long s = System.nanoTime();
                d.predict(img);
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(ms);
            long s = System.nanoTime();
            List<AnomalyResult> all = d.predict(test);
            double batchSeconds = (System.nanoTime() - s) / 1e9;
            float[] scores = new float[all.size()];
            boolean[] labels = new boolean[all.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = all.get(i).score();
                labels[i] = split.test().get(i).anomalous();
            }
            System.out.println(String.format(Locale.ROOT, "detector %s %s", name, settings));
            System.out.println(String.format(Locale.ROOT, "cpu cores %d, threads %s",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default")));
            System.out.println(String.format(Locale.ROOT, "fit: %.1f s total, %d steps, %.3f train images/s, loss %.4f -> %.4f",
                    fitSeconds, provenance.path("train_steps").asLong(), provenance.path("train_images_per_second").asDouble(),
                    provenance.path("first_epoch_loss").asDouble(), provenance.path("last_epoch_loss").asDouble()));
            // Detectors trained in stages (DSR) record each stage under "stage_<name>".
            provenance.fields().forEachRemaining(f -> {
                if (f.getKey().startsWith("stage_")) {
                    System.out.println(String.format(Locale.ROOT, "  %s: %d steps, %.1f s, %.3f train images/s",
                            f.getKey(), f.getValue().path("train_steps").asLong(),
                            f.getValue().path("train_seconds").asDouble(),
                            f.getValue().path("train_images_per_second").asDouble()));
                }
            });
            System.out.println(String.format(Locale.ROOT, "predict 1 image: median %.1f ms (min %.1f, max %.1f) over %d",
                    ms[repeats / 2], ms[0], ms[repeats - 1], repeats));
            System.out.println(String.format(Locale.ROOT, "predict %d images batched: %.3f images/s", test.size(),
                    test.size() / batchSeconds));
            System.out.println(String.format(Locale.ROOT, "image AUROC on the synthetic test set: %.3f",
                    BinaryMetrics.auroc(scores, labels)));
        }
    }
}
