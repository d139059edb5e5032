package dev.anomalysdk.reconstruction.draem;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.synthesis.DraemAugmenter;
import dev.anomalysdk.core.synthesis.FolderTextures;
import dev.anomalysdk.core.synthesis.PerlinAnomaly;
import dev.anomalysdk.core.synthesis.ProceduralTextures;
import dev.anomalysdk.core.synthesis.TextureSource;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.AugmentedSampler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * DRAEM, a discriminatively trained reconstruction embedding (Zavrtanik, Kristan, Skocaj, ICCV 2021).
 *
 * <p>Training sees only normal images. Each step pastes textures under Perlin-noise masks into half of the
 * images ({@link DraemAugmenter}: DTD photographs via {@code anomaly_source}, or built-in procedural textures);
 * the reconstructive network learns to restore the normal image, the discriminative U-Net learns to segment
 * the pasted region from the input and its reconstruction ({@link DraemNetwork}). Loss: L2 + (1 - SSIM) on the
 * reconstruction, focal loss on the segmentation ({@link DraemLoss}). Both networks train from scratch on [0, 1]
 * RGB images (no ImageNet normalization) with one Adam optimizer (the official code uses one per network with
 * the same settings, which is the same update), learning rate x0.2 at 80 % and 90 % of training, weights drawn
 * from N(0, 0.02) (batch-norm scales 1, biases 0).
 *
 * <p>Inference: the anomaly map is the softmax probability of the anomalous class; the image score is the
 * maximum of that map average-pooled over {@code score_pool} x {@code score_pool} (21) pixels.
 *
 * <p>Thread safety: see {@link dev.anomalysdk.core.BaseDetector}.
 */
public final class DraemDetector extends NetworkDetector {
    /** Standard deviation of DRAEM's initial weights. */
    static final double INIT_STD = 0.02;
    /** The registered name. */
    public static final String NAME = "draem";
    private final DraemOptions cfg;
    private TextureSource source;

    DraemDetector(Config config) {
        this(config, DraemOptions.of(config));
    }

    private DraemDetector(Config config, DraemOptions options) {
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers DRAEM as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "DRAEM (Zavrtanik et al. 2021): reconstruction + discriminative U-Net trained on "
                    + "Perlin-masked synthetic anomalies", DraemOptions.PARAMS, DraemDetector::new);
        }
    }

    @Override
    protected Block buildNetwork() {
        return new DraemNetwork(3, cfg.reconWidth(), cfg.discWidth());
    }

    /** Adam, learning rate x0.2 at 80 % and 90 % of training. */
    @Override
    protected TrainingSchedule schedule() {
        return super.schedule().withMultiStep(List.of(0.8, 0.9), 0.2);
    }

    @Override
    protected void initializeWeights(Block block, NDManager manager, Shape inputShape) {
        Random random = new Random(seed());
        block.setInitializer((m, shape, type) -> {
            float[] w = new float[Math.toIntExact(shape.size())];
            synchronized (random) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (random.nextGaussian() * INIT_STD);
                }
            }
            return m.create(w, shape).toType(type, false);
        }, Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, inputShape);
    }

    @Override
    protected void prepareFit() {
        source = textures();
    }

    /** @return the anomaly source: the configured folder, or procedural textures */
    TextureSource textures() {
        String folder = cfg.anomalySource();
        if (folder == null) {
            return new ProceduralTextures();
        }
        try {
            return FolderTextures.of(Path.of(folder));
        } catch (IOException e) {
            throw new UncheckedIOException("Invalid value for 'anomaly_source': " + e.getMessage(), e);
        }
    }

    @Override
    protected TrainingLoop.Task task(List<ImageData> images) {
        DraemAugmenter augmenter = new DraemAugmenter(PerlinAnomaly.draem(source), cfg.rotateProbability(), 0.5);
        return new Task(images, augmenter, trainingBatchSize());
    }

    /** DRAEM's batches: augmented input, normal target and mask. */
    static final class Task implements TrainingLoop.Task {
        private final AugmentedSampler sampler;

        Task(List<ImageData> images, DraemAugmenter augmenter, int batch) {
            this.sampler = new AugmentedSampler(images, augmenter, batch);
        }

        @Override
        public int stepsPerEpoch() {
            return sampler.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            DraemAugmenter.TrainingPair[] pairs = sampler.next(random);
            ImageData first = pairs[0].normal();
            Shape image = new Shape(pairs.length, first.channels(), first.height(), first.width());
            Shape mask = new Shape(pairs.length, 1, first.height(), first.width());
            return new TrainingLoop.Batch(new NDList(scope.create(AugmentedSampler.pixels(pairs, true), image)),
                    new NDList(scope.create(AugmentedSampler.pixels(pairs, false), image),
                            scope.create(AugmentedSampler.masks(pairs), mask)));
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return DraemLoss.total(predictions, labels);
        }
    }

    @Override
    protected List<RawOutput> toResults(NDList outputs, NDArray input) {
        List<RawOutput> out = new ArrayList<>();
        for (AnomalyMap map : maps(outputs.get(1).softmax(1), 1)) {
            out.add(RawOutput.of(map.averagePool(cfg.scorePool()).max(), map));
        }
        return out;
    }

    @Override
    protected void describe(ObjectNode provenance) {
        super.describe(provenance);
        if (source != null) {
            provenance.put("anomaly_source", source.describe());
        }
    }
}
