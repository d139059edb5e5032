package dev.anomalysdk.reconstruction;

import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.metrics.Evaluation;
import dev.anomalysdk.core.metrics.MetricsReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Development benchmark: fits a detector on a random subset of a category's training images and evaluates it
 * on every k-th test image (all metrics as {@code ad evaluate} computes them). Not a test; run with
 * {@code java -cp ... dev.anomalysdk.reconstruction.SubsetBenchmark ROOT CATEGORY DETECTOR TRAIN_COUNT
 * TEST_EVERY [key=value ...]}. {@code -Dbenchmark.save=DIR} saves the fitted model; {@code -Dbenchmark.load=DIR}
 * evaluates a saved model instead of fitting. Documented in docs/detectors/nsa.md.
 */
public final class SubsetBenchmark {
    private SubsetBenchmark() {}

    /** Entry point; see the class description for the arguments. */
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String category = args[1];
        String detector = args[2];
        int trainCount = Integer.parseInt(args[3]);
        int every = Integer.parseInt(args[4]);
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 5; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            settings.put(kv[0], kv[1]);
        }
        DatasetSplit split = DatasetReaders.detect(root).read(root, category);
        List<Sample> train = new ArrayList<>(split.train());
        Collections.shuffle(train, new Random(1));
        train = train.subList(0, Math.min(trainCount, train.size()));
        List<Sample> test = new ArrayList<>();
        for (int i = 0; i < split.test().size(); i += every) {
            test.add(split.test().get(i));
        }
        long t0 = System.nanoTime();
        String load = System.getProperty("benchmark.load");
        try (Detector d = load != null ? Detectors.load(Path.of(load)) : Detectors.create(detector, settings)) {
            if (load == null) {
                d.fit(Detector.FitData.of(train, List.of()), ProgressListener.logging(detector));
            }
            double fit = (System.nanoTime() - t0) / 1e9;
            String save = System.getProperty("benchmark.save");
            if (save != null) {
                d.save(Path.of(save));
            }
            Evaluation eval = new Evaluation();
            long t1 = System.nanoTime();
            // Alternative image scores from the returned map, for tuning: max, max of 9/21/41-pooled map.
            int[] pools = {1, 9, 21, 41};
            float[][] alt = new float[pools.length][test.size()];
            boolean[] labels = new boolean[test.size()];
            for (int i = 0; i < test.size(); i++) {
                Sample s = test.get(i);
                ImageData img = s.loadImage();
                AnomalyResult r = d.predict(img);
                eval.add(s.id(), r.score(), s.anomalous(), r.map(),
                        s.anomalous() ? s.loadMask(img.height(), img.width()) : null);
                labels[i] = s.anomalous();
                for (int k = 0; k < pools.length; k++) {
                    alt[k][i] = pools[k] == 1 ? r.map().max() : r.map().averagePool(pools[k]).max();
                }
            }
            for (int k = 0; k < pools.length; k++) {
                System.out.printf(Locale.ROOT, "ALT image score = max of %d-pooled map: I-AUROC %.4f%n", pools[k],
                        dev.anomalysdk.core.metrics.BinaryMetrics.auroc(alt[k], labels));
            }
            double predict = (System.nanoTime() - t1) / 1e9;
            MetricsReport m = eval.report();
            System.out.printf(Locale.ROOT, "RESULT %s %s train=%d test=%d (%d anomalous) fit=%.0fs predict=%.1fs/img "
                    + "I-AUROC=%.4f P-AUROC=%s AUPRO=%s settings=%s%n", detector, category, train.size(), test.size(),
                    m.anomalous(), fit, predict / test.size(), m.imageAuroc(),
                    m.pixelAuroc() == null ? "-" : String.format(Locale.ROOT, "%.4f", m.pixelAuroc()),
                    m.pixelAupro() == null ? "-" : String.format(Locale.ROOT, "%.4f", m.pixelAupro()), settings);
        }
    }
}
