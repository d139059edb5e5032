package dev.anomalysdk.core.example;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A complete custom detector: per-pixel mean and standard deviation of the normal images (grayscale, square
 * resize); the map is the absolute z-score, the image score its maximum after the core's smoothing.
 * Thread safety: as {@link BaseDetector} ({@code predict} calls are serialized).
 */
public final class PixelStatisticsDetector extends BaseDetector {
    static final String NAME = "pixel_statistics";
    static final Param<Double> MIN_STD = Param.ofDouble("min_std", 0.02, 1e-6, 1.0,
            "Floor of the per-pixel standard deviation (pixel values are in [0, 1])");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(64);
    static final List<Param<?>> PARAMS = List.of(IMAGE_SIZE, MIN_STD, SharedParams.MAP_SIGMA.withDefault(1.0),
            SharedParams.BATCH_SIZE, SharedParams.SEED);

    private NDArray mean;
    private NDArray std;

    PixelStatisticsDetector(Config config) {
        super(NAME, config, Preprocessing.unnormalized(1, config.get(IMAGE_SIZE)));
    }

    /** Registers the detector; list {@code ...PixelStatisticsDetector$Provider} in META-INF/services. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "Example: per-pixel z-score against the normal images", PARAMS, PixelStatisticsDetector::new);
        }
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        try (NDManager scope = manager().newSubManager()) {
            NDArray x = preprocessing().toTensor(train.stream().map(Sample::loadImage).toList(), scope);
            keep(x.mean(new int[] {0}), x.sub(x.mean(new int[] {0})).square().mean(new int[] {0}).sqrt()
                    .maximum(config().get(MIN_STD).floatValue()));
        }
    }

    private void keep(NDArray newMean, NDArray newStd) {
        if (mean != null) {
            mean.close();
            std.close();
        }
        newMean.attach(manager());
        newStd.attach(manager());
        mean = newMean;
        std = newStd;
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        NDArray z = batch.tensor().sub(mean).div(std).abs();
        Shape s = z.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] all = z.toFloatArray();
        List<RawOutput> out = new ArrayList<>();
        for (int i = 0; i < s.get(0); i++) {
            out.add(RawOutput.mapMax(new AnomalyMap(h, w, Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w))));
        }
        return out;
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        writer.putTensor("mean", mean.toFloatArray(), mean.getShape().getShape());
        writer.putTensor("std", std.toFloatArray(), std.getShape().getShape());
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        var m = reader.tensor("mean");
        var s = reader.tensor("std");
        keep(manager().create(m.data(), new Shape(m.shape())), manager().create(s.data(), new Shape(s.shape())));
    }
}
