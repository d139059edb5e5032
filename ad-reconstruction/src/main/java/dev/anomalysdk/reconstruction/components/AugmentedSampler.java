package dev.anomalysdk.reconstruction.components;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.synthesis.DraemAugmenter;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Draws batches of DRAEM-style training pairs: the training images in shuffled epochs (every image once per
 * epoch, a last partial batch topped up from the next shuffle), each augmented with its own seed drawn from the
 * loop's generator, so that the samples can be made in parallel and stay deterministic. Not thread-safe (one
 * per training run).
 */
public final class AugmentedSampler {
    private final List<ImageData> images;
    private final DraemAugmenter augmenter;
    private final int batch;
    private int[] order;
    private int next;

    /**
     * @param images training images at network resolution, all of one size
     * @param augmenter makes each pair
     * @param batch pairs per batch
     */
    public AugmentedSampler(List<ImageData> images, DraemAugmenter augmenter, int batch) {
        if (images.isEmpty() || batch < 1) {
            throw new IllegalArgumentException("Need images and a positive batch size, got " + images.size()
                    + " images, batch " + batch);
        }
        this.images = images;
        this.augmenter = augmenter;
        this.batch = batch;
    }

    /** @return batches per epoch */
    public int stepsPerEpoch() {
        return Math.max(1, (images.size() + batch - 1) / batch);
    }

    /** @return pairs per batch */
    public int batchSize() {
        return batch;
    }

    private int nextIndex(Random random) {
        if (order == null || next == order.length) {
            order = IntStream.range(0, images.size()).toArray();
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            next = 0;
        }
        return order[next++];
    }

    /**
     * @param random the loop's seeded generator
     * @return the next batch of pairs
     */
    public DraemAugmenter.TrainingPair[] next(Random random) {
        int[] idx = new int[batch];
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) {
            idx[i] = nextIndex(random);
            seeds[i] = random.nextLong();
        }
        DraemAugmenter.TrainingPair[] pairs = new DraemAugmenter.TrainingPair[batch];
        IntStream.range(0, batch).parallel().forEach(i ->
                pairs[i] = augmenter.sample(images.get(idx[i]), new Random(seeds[i])));
        return pairs;
    }

    /**
     * Copies one image of each pair into an NCHW buffer.
     *
     * @param pairs the batch
     * @param augmented the augmented images if true, the normal ones otherwise
     * @return {@code N x C x H x W} row-major
     */
    public static float[] pixels(DraemAugmenter.TrainingPair[] pairs, boolean augmented) {
        int per = pairs[0].normal().pixelsView().length;
        float[] out = new float[pairs.length * per];
        for (int i = 0; i < pairs.length; i++) {
            ImageData img = augmented ? pairs[i].augmented() : pairs[i].normal();
            System.arraycopy(img.pixelsView(), 0, out, i * per, per);
        }
        return out;
    }

    /** @return the pairs' masks as {@code N x H x W} row-major */
    public static float[] masks(DraemAugmenter.TrainingPair[] pairs) {
        int per = pairs[0].mask().length;
        float[] out = new float[pairs.length * per];
        for (int i = 0; i < pairs.length; i++) {
            System.arraycopy(pairs[i].mask(), 0, out, i * per, per);
        }
        return out;
    }
}
