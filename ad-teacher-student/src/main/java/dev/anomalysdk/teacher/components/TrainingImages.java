package dev.anomalysdk.teacher.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Training images decoded and pre-processed once, kept in memory as network inputs (float32, C x H x W
 * each; 0.75 MiB per 256 px RGB image), and drawn in shuffled mini-batches: each epoch is a new random
 * permutation, cut into consecutive batches of a fixed size (the permutation wraps into the next one, so
 * every batch is full and every image is seen once per {@link #stepsPerEpoch} steps on average).
 */
public final class TrainingImages {
    private final List<float[]> inputs;
    private final int channels;
    private final int height;
    private final int width;
    private final int batchSize;
    private int[] order;
    private int position;

    private TrainingImages(List<float[]> inputs, int channels, int height, int width, int batchSize) {
        this.inputs = inputs;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.batchSize = batchSize;
    }

    /**
     * Loads and pre-processes the images.
     *
     * @param samples training images
     * @param preprocessing must give every image the same size (a square resize does)
     * @param batchSize requested mini-batch size; capped at the number of images
     * @param progress receives "loading images" progress
     * @return the cache
     * @throws IllegalArgumentException naming an image that pre-processes to another size
     */
    public static TrainingImages load(List<Sample> samples, Preprocessing preprocessing, int batchSize,
            ProgressListener progress) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("No training images");
        }
        List<float[]> inputs = new ArrayList<>(samples.size());
        int[] size = null;
        String first = null;
        for (int i = 0; i < samples.size(); i++) {
            ImageData img = samples.get(i).loadImage();
            int[] s = preprocessing.outputSize(img.height(), img.width());
            if (size == null) {
                size = s;
                first = img.source();
            } else if (!Arrays.equals(size, s)) {
                throw new IllegalArgumentException("Training image " + img.source() + " pre-processes to "
                        + s[1] + "x" + s[0] + " but " + first + " to " + size[1] + "x" + size[0]);
            }
            inputs.add(preprocessing.apply(img));
            progress.update("loading images", i + 1, samples.size());
        }
        return new TrainingImages(inputs, preprocessing.channels(), size[0], size[1],
                Math.max(1, Math.min(batchSize, samples.size())));
    }

    /** @return number of images */
    public int size() {
        return inputs.size();
    }

    /** @return images per batch */
    public int batchSize() {
        return batchSize;
    }

    /** @return batches per pass over the images, rounded up */
    public int stepsPerEpoch() {
        return (inputs.size() + batchSize - 1) / batchSize;
    }

    /** @return the NCHW shape of one batch */
    public Shape batchShape() {
        return new Shape(batchSize, channels, height, width);
    }

    /**
     * Draws the next mini-batch.
     *
     * @param scope owner of the returned array (its device is used)
     * @param random the training loop's seeded generator, for the permutations
     * @return a float32 NCHW batch of {@link #batchSize()} images
     */
    public NDArray next(NDManager scope, Random random) {
        int per = channels * height * width;
        float[] batch = new float[batchSize * per];
        for (int b = 0; b < batchSize; b++) {
            if (order == null || position == order.length) {
                order = permutation(inputs.size(), random);
                position = 0;
            }
            System.arraycopy(inputs.get(order[position++]), 0, batch, b * per, per);
        }
        return scope.create(batch, batchShape());
    }

    private static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
