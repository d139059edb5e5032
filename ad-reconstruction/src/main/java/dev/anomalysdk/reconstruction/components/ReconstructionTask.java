package dev.anomalysdk.reconstruction.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.training.TrainingLoop;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * The training task of a plain reconstruction model: batches of normal images drawn in shuffled epochs
 * (every image once per epoch, a last partial batch topped up from the next shuffle), the input is also the
 * target, the loss is the model's.
 */
public final class ReconstructionTask implements TrainingLoop.Task {
    private final List<ImageData> images;
    private final int batch;
    private final BiFunction<NDList, NDList, NDArray> loss;
    private int[] order;
    private int next;

    /**
     * @param images training images at network resolution, all of one size
     * @param batch images per step
     * @param loss the loss of predictions against labels ({@code labels.head()} is the input batch)
     */
    public ReconstructionTask(List<ImageData> images, int batch, BiFunction<NDList, NDList, NDArray> loss) {
        if (images.isEmpty() || batch < 1) {
            throw new IllegalArgumentException("Need images and a positive batch size, got " + images.size()
                    + " images, batch " + batch);
        }
        this.images = images;
        this.batch = batch;
        this.loss = loss;
    }

    @Override
    public int stepsPerEpoch() {
        return (images.size() + batch - 1) / batch;
    }

    @Override
    public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
        ImageData first = images.get(0);
        int per = first.channels() * first.height() * first.width();
        float[] x = new float[batch * per];
        for (int i = 0; i < batch; i++) {
            if (order == null || next == order.length) {
                order = shuffled(images.size(), random);
                next = 0;
            }
            System.arraycopy(images.get(order[next++]).pixelsView(), 0, x, i * per, per);
        }
        NDArray input = scope.create(x, new Shape(batch, first.channels(), first.height(), first.width()));
        return new TrainingLoop.Batch(new NDList(input), new NDList(input));
    }

    private static int[] shuffled(int n, Random random) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    @Override
    public NDArray loss(NDList predictions, NDList labels) {
        return loss.apply(predictions, labels);
    }
}
