package dev.anomalysdk.teacher;

import ai.djl.pytorch.jni.JniUtils;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.Mask;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Shared fixtures: one synthetic texture dataset at 64 px (40 normal training images; 12 normal and 12
 * defective test images with masks), generated once per JVM by {@link SyntheticDataset}, and AUROC helpers.
 */
public final class TestData {
    /** Side of the synthetic images. */
    public static final int SIZE = 64;
    private static DatasetSplit split;

    private TestData() {}

    /** Makes libtorch single-threaded: faster on the shared 2-core test machine. */
    public static void singleThreaded() {
        DjlEnvironment.engine();
        JniUtils.setNumThreads(1);
    }

    /** @return the texture split (generated on first use) */
    public static synchronized DatasetSplit texture() {
        if (split == null) {
            try {
                Path root = Files.createTempDirectory("teacher-student-data");
                root.toFile().deleteOnExit();
                SyntheticDataset.builder(root).categories(SyntheticDataset.TEXTURE).imageSize(SIZE).trainCount(40)
                        .testGoodCount(12).anomalousPerDefect(3).seed(1).build().generate();
                split = DatasetReaders.byName("mvtec").read(root, SyntheticDataset.TEXTURE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return split;
    }

    /** @return the raw scores of the samples */
    public static float[] scores(Detector d, List<Sample> samples) {
        List<AnomalyResult> r = d.predict(samples.stream().map(Sample::loadImage).toList());
        float[] s = new float[r.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.get(i).score();
        }
        return s;
    }

    /** @return image-level AUROC of the detector on the samples */
    public static double imageAuroc(Detector d, List<Sample> samples) {
        boolean[] labels = new boolean[samples.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = samples.get(i).anomalous();
        }
        return BinaryMetrics.auroc(scores(d, samples), labels);
    }

    /** @return pixel-level AUROC of the detector's maps against the defect masks (normal images: all good) */
    public static double pixelAuroc(Detector d, List<Sample> samples) {
        List<AnomalyResult> r = d.predict(samples.stream().map(Sample::loadImage).toList());
        int px = SIZE * SIZE;
        float[] scores = new float[samples.size() * px];
        boolean[] labels = new boolean[samples.size() * px];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(r.get(i).map().values(), 0, scores, i * px, px);
            if (samples.get(i).hasMask()) {
                Mask m = samples.get(i).loadMask(SIZE, SIZE);
                for (int k = 0; k < px; k++) {
                    labels[i * px + k] = m.get(k / SIZE, k % SIZE);
                }
            }
        }
        return BinaryMetrics.auroc(scores, labels);
    }
}
