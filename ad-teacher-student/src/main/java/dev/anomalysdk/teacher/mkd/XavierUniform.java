package dev.anomalysdk.teacher.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import java.util.Random;

/**
 * Glorot (Xavier) uniform initialization drawn from a seeded {@link Random}, as the official MKD code
 * initializes its convolutions ({@code xavier_uniform_}): {@code w ~ U(-a, a)},
 * {@code a = sqrt(6 / (fanIn + fanOut))}, {@code fanIn = shape[1] * k}, {@code fanOut = shape[0] * k},
 * {@code k} the product of the kernel dimensions.
 */
final class XavierUniform implements Initializer {
    private final Random random;

    XavierUniform(long seed) {
        this.random = new Random(seed);
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long receptive = 1;
        for (int i = 2; i < shape.dimension(); i++) {
            receptive *= shape.get(i);
        }
        long fanIn = shape.dimension() > 1 ? shape.get(1) * receptive : shape.get(0);
        long fanOut = shape.get(0) * receptive;
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        float[] w = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        }
        return manager.create(w, shape).toType(dataType, false);
    }
}
