package dev.anomalysdk.reconstruction.components;

import ai.djl.pytorch.jni.JniUtils;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.metrics.PixelMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Shared test data: the synthetic texture category at a small size, and scoring helpers. */
public final class Fixtures {
    private Fixtures() {}

    /**
     * Generates the synthetic texture category (seed 1) and reads it; sets libtorch to one thread, which is
     * much faster than two on a loaded shared machine.
     */
    public static DatasetSplit textures(Path dir, int size, int train) throws IOException {
        DjlEnvironment.engine();
        JniUtils.setNumThreads(1);
        SyntheticDataset.builder(dir).categories(SyntheticDataset.TEXTURE).imageSize(size).trainCount(train)
                .testGoodCount(10).anomalousPerDefect(3).seed(1).build().generate();
        return DatasetReaders.byName("mvtec").read(dir, SyntheticDataset.TEXTURE);
    }

    /** @return the detector's image scores */
    public static float[] scores(Detector d, List<Sample> samples) {
        List<AnomalyResult> results = d.predict(samples.stream().map(Sample::loadImage).toList());
        float[] s = new float[results.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = results.get(i).score();
        }
        return s;
    }

    /** @return the image AUROC of the detector on the samples */
    public static double auroc(Detector d, List<Sample> samples) {
        return auroc(scores(d, samples), samples);
    }

    /** @return the pixel AUROC of the detector's maps against the samples' masks */
    public static double pixelAuroc(Detector d, List<Sample> samples) {
        PixelMetrics m = new PixelMetrics();
        for (Sample s : samples) {
            ImageData img = s.loadImage();
            AnomalyResult r = d.predict(img);
            m.add(r.map(), s.hasMask() ? s.loadMask(img.height(), img.width()) : null);
        }
        return m.auroc();
    }

    /** @return the image AUROC of the scores */
    public static double auroc(float[] scores, List<Sample> samples) {
        boolean[] l = new boolean[samples.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = samples.get(i).anomalous();
        }
        return BinaryMetrics.auroc(scores, l);
    }
}
