package dev.anomalysdk.reconstruction.memae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import dev.anomalysdk.reconstruction.components.ReconstructionTask;
import java.util.List;

/**
 * MemAE, the memory-augmented autoencoder (Gong et al., ICCV 2019): an autoencoder whose decoder only sees
 * combinations of learned prototypes of normal features ({@link MemoryModule}), so that anomalous content is
 * reconstructed as something normal and shows up in the reconstruction error.
 *
 * <p>Network: {@link EncoderDecoder} without skips ({@code levels} levels, widths {@code b, 2b, 4b, 8b, ...}), the
 * memory at the deepest level (each position addressed separately, as the paper does for 2-D feature maps),
 * sigmoid output, [0, 1] RGB input. Loss: mean squared reconstruction error + {@code entropy_weight} x mean
 * addressing entropy. Map: squared error averaged over channels, Gaussian-smoothed by the core ({@code map_sigma});
 * image score: the smoothed map's maximum.
 * The paper reports no MVTec AD numbers (MNIST, CIFAR-10, video); this is a baseline.
 *
 * <p>Thread safety: see {@link dev.anomalysdk.core.BaseDetector}.
 */
public final class MemaeDetector extends NetworkDetector {
    /** The registered name. */
    public static final String NAME = "memae";
    private final MemaeOptions cfg;

    MemaeDetector(Config config) {
        this(config, MemaeOptions.of(config));
    }

    private MemaeDetector(Config config, MemaeOptions options) {
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers MemAE as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "MemAE (Gong et al. 2019): autoencoder with a sparse-addressed memory of normal features; "
                    + "map = squared error", MemaeOptions.PARAMS, MemaeDetector::new);
        }
    }

    @Override
    protected Block buildNetwork() {
        int[] widths = EncoderDecoder.doublingWidths(cfg.width(), cfg.levels());
        MemoryModule memory = new MemoryModule(cfg.memorySlots(), widths[widths.length - 1], cfg.shrinkLambda());
        return new EncoderDecoder(widths, 3, false, true, memory);
    }

    @Override
    protected TrainingLoop.Task task(List<ImageData> images) {
        float entropyWeight = (float) cfg.entropyWeight();
        return new ReconstructionTask(images, trainingBatchSize(), (pred, labels) ->
                pred.get(0).sub(labels.head()).square().mean().add(pred.get(1).mul(entropyWeight)));
    }

    @Override
    protected List<RawOutput> toResults(NDList outputs, NDArray input) {
        NDArray perPixel = outputs.get(0).sub(input).square().mean(new int[] {1}, true);
        return maps(perPixel, 0).stream().map(RawOutput::mapMax).toList();
    }
}
