package dev.anomalysdk.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import java.util.Random;

/**
 * He (Kaiming) normal initialization for ReLU networks drawn from a seeded {@link Random}, so that the
 * same seed gives the same weights whatever libtorch's global generator did before:
 * {@code w ~ N(0, gain^2 / fanIn)} with {@code fanIn = shape[1] * prod(shape[2..])} and {@code gain = sqrt(2)}.
 * Parameters are drawn in the order DJL initializes them (the block's child order), which is fixed.
 */
public final class SeededInitializer implements Initializer {
    private final Random random;

    /** @param seed the seed of the draws */
    public SeededInitializer(long seed) {
        this.random = new Random(seed);
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long fanIn = 1;
        for (int i = 1; i < shape.dimension(); i++) {
            fanIn *= shape.get(i);
        }
        double std = Math.sqrt(2.0 / Math.max(1, fanIn));
        float[] w = new float[Math.toIntExact(shape.size())];
        synchronized (random) {
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (random.nextGaussian() * std);
            }
        }
        return manager.create(w, shape).toType(dataType, false);
    }
}
