package dev.anomalysdk.core.testdetector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A detector written the way users write theirs, living only in the tests: the mean training image
 * (grayscale, square {@code image_size}) and score map {@code |x - mean|}; image score = map maximum.
 * Simple enough that every number it produces can be worked out by hand.
 */
public final class MeanImageDetector extends BaseDetector {
    static final Param<Integer> IMAGE_SIZE = Param.ofInt("image_size", 8, 2, 512, "Square input side");
    static final Param<Long> SEED = Param.ofLong("seed", 0L, 0L, Long.MAX_VALUE, "Seed");
    static final List<Param<?>> PARAMS = List.of(IMAGE_SIZE, SEED);

    private NDArray mean;
    /** Number of images scored so far (to let tests see batching). */
    int scoreCalls;

    MeanImageDetector(Config config) {
        super(MeanImageProvider.NAME, config, Preprocessing.unnormalized(1, config.get(IMAGE_SIZE)));
    }

    /** @return the detector's root manager, for the memory test */
    NDManager rootManager() {
        return manager();
    }

    @Override
    protected long seed() {
        return config().get(SEED);
    }

    @Override
    protected void fitModel(List<Sample> train, List<Sample> validation, ProgressListener progress) {
        List<ImageData> images = train.stream().map(Sample::loadImage).toList();
        try (NDManager scope = manager().newSubManager()) {
            NDArray batch = preprocessing().toTensor(images, scope);
            NDArray m = batch.mean(new int[] {0});
            m.attach(manager());
            if (mean != null) {
                mean.close();
            }
            mean = m;
        }
    }

    @Override
    protected List<RawOutput> scoreBatch(Batch batch) {
        scoreCalls++;
        List<RawOutput> out = new ArrayList<>();
        NDArray diff = batch.tensor().sub(mean).abs();
        Shape s = diff.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] all = diff.toFloatArray();
        for (int i = 0; i < s.get(0); i++) {
            float[] plane = java.util.Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w);
            out.add(RawOutput.mapMax(new AnomalyMap(h, w, plane)));
        }
        return out;
    }

    @Override
    protected void saveModel(ModelWriter writer, ObjectNode state) throws IOException {
        Shape s = mean.getShape();
        writer.putTensor("mean", mean.toFloatArray(), s.getShape());
        state.put("note", "mean image");
    }

    @Override
    protected void loadModel(ModelReader reader, JsonNode state) throws IOException {
        var t = reader.tensor("mean");
        mean = manager().create(t.data(), new Shape(t.shape()));
    }
}
