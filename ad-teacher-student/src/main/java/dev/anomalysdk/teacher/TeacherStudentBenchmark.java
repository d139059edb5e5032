package dev.anomalysdk.teacher;

import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.teacher.mkd.MkdDetector;
import dev.anomalysdk.teacher.reversedistillation.ReverseDistillationDetector;
import dev.anomalysdk.teacher.stfpm.StfpmDetector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures a teacher-student detector on this machine: training throughput (images per second over the
 * epochs after the first, which includes warm-up) and inference latency (median of single-image
 * predictions, and per image in batches). Runs on a synthetic texture dataset of the requested size.
 *
 * <pre>
 * java -cp "ad-bench/target/ad-bench.jar:ad-bench/target/lib/*" dev.anomalysdk.teacher.TeacherStudentBenchmark \
 *     stfpm image_size=256 batch_size=8 epochs=3 backbone=resnet18
 * </pre>
 *
 * Arguments: the detector name, then {@code key=value} settings; {@code images=N} (default 32) sets the
 * number of training images, {@code repeats=N} (default 10) the number of timed predictions and
 * {@code threads=N} libtorch's intra-op threads (default: libtorch's choice).
 */
public final class TeacherStudentBenchmark {
    private TeacherStudentBenchmark() {}

    /**
     * @param args detector name and settings (see the class description)
     * @throws IOException when the synthetic dataset cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: TeacherStudentBenchmark <detector> [key=value]...");
            System.exit(2);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("Expected key=value, got '" + args[i] + "'");
            }
            settings.put(kv[0], kv[1]);
        }
        int images = Integer.parseInt(settings.getOrDefault("images", "32"));
        int repeats = Integer.parseInt(settings.getOrDefault("repeats", "10"));
        settings.remove("images");
        settings.remove("repeats");
        String threads = settings.remove("threads");
        if (threads != null) {
            dev.anomalysdk.core.DjlEnvironment.engine();
            ai.djl.pytorch.jni.JniUtils.setNumThreads(Integer.parseInt(threads));
        }
        int size = Integer.parseInt(settings.getOrDefault("image_size", "256"));
        Path root = Files.createTempDirectory("ts-bench");
        SyntheticDataset.builder(root).categories(SyntheticDataset.TEXTURE).imageSize(size).trainCount(images)
                .testGoodCount(4).anomalousPerDefect(1).seed(1).build().generate();
        DatasetSplit split = DatasetReaders.byName("mvtec").read(root, SyntheticDataset.TEXTURE);
        try (Detector d = Detectors.create(args[0], settings)) {
            d.fit(Detector.FitData.of(split.train(), split.test()), ProgressListener.NONE);
            TrainingLoop.Result r;
            if (d instanceof ReverseDistillationDetector rd) {
                r = rd.trainingResult();
            } else if (d instanceof StfpmDetector st) {
                r = st.trainingResult();
            } else if (d instanceof MkdDetector mkd) {
                r = mkd.trainingResult();
            } else {
                throw new IllegalArgumentException(args[0] + " is no teacher-student detector");
            }
            int batch = Integer.parseInt(d.config().asStrings().get("batch_size"));
            int perStep = Math.min(batch, split.train().size());
            List<TrainingLoop.EpochLog> e = r.epochs();
            double firstEpochSeconds = e.get(0).elapsedSeconds();
            long stepsPerEpoch = r.steps() / e.size();
            double steady = e.size() > 1
                    ? (r.steps() - stepsPerEpoch) * perStep / (e.get(e.size() - 1).elapsedSeconds() - firstEpochSeconds)
                    : r.steps() * perStep / r.seconds();
            List<ImageData> test = split.test().stream().map(Sample::loadImage).toList();
            d.predict(test.get(0));
            d.predict(test.get(0));
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                d.predict(test.get(i % test.size()));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            long t0 = System.nanoTime();
            d.predict(test);
            double batchMs = (System.nanoTime() - t0) / 1e6 / test.size();
            System.out.printf(Locale.ROOT, "%s %s%n  training: %d steps of %d images in %.1f s; %.2f images/s after "
                    + "the first epoch (first epoch %.1f s); loss %.4f -> %.4f%n  inference: median %.0f ms per "
                    + "single image, %.0f ms per image in a batch of %d (%d threads available)%n",
                    args[0], settings, r.steps(), perStep, r.seconds(), steady, firstEpochSeconds, r.firstLoss(),
                    r.lastLoss(), ms[ms.length / 2], batchMs, test.size(), Runtime.getRuntime().availableProcessors());
            System.out.println("  provenance: " + ((BaseDetector) d).provenance());
        }
    }
}
