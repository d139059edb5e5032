package dev.anomalysdk.reconstruction.memae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.ReconstructionTask;
import java.util.ArrayList;
import java.util.List;

/**
 * MemAE, the memory-augmented autoencoder (Gong et al., ICCV 2019): an autoencoder whose decoder only sees
 * combinations of learned prototypes of normal features ({@link MemoryModule}), so that anomalous content is
 * reconstructed as something normal and shows up in the reconstruction error.
 *
 * <p>Network: {@link EncoderDecoder} without skips ({@code levels} levels, widths {@code b, 2b, 4b, 8b, ...}), the
 * memory at the deepest level (each position addressed separately, as the paper does for 2-D feature maps),
 * sigmoid output, [0, 1] RGB input. Loss: mean squared reconstruction error + {@code entropy_weight} x mean
 * addressing entropy. Map: squared error averaged over channels, Gaussian-smoothed; image score: its maximum.
 * The paper reports no MVTec AD numbers (MNIST, CIFAR-10, video); this is a baseline.
 *
 * <p>Thread safety: see {@link dev.anomalysdk.core.BaseDetector}.
 */
public final class MemaeDetector extends NetworkDetector {
    private final MemaeConfig cfg;

    MemaeDetector(Config config) {
        super(MemaeProvider.NAME, config, Preprocessing.unnormalized(3, config.get(MemaeConfig.IMAGE_SIZE)));
        this.cfg = new MemaeConfig(config);
    }

    @Override
    protected Block buildNetwork() {
        int[] widths = EncoderDecoder.doublingWidths(cfg.width(), cfg.levels());
        MemoryModule memory = new MemoryModule(cfg.memorySlots(), widths[widths.length - 1], cfg.shrinkThreshold());
        return new EncoderDecoder(widths, 3, false, true, memory);
    }

    @Override
    protected TrainingSchedule schedule() {
        return TrainingSchedule.adamCosine(cfg.epochs(), cfg.learningRate(), cfg.seed()).withMaxMinutes(cfg.maxMinutes());
    }

    @Override
    protected TrainingLoop.Task task(List<ImageData> images) {
        float entropyWeight = (float) cfg.entropyWeight();
        return new ReconstructionTask(images, cfg.batchSize(), (pred, labels) ->
                pred.get(0).sub(labels.head()).square().mean().add(pred.get(1).mul(entropyWeight)));
    }

    @Override
    protected List<RawOutput> toResults(NDList outputs, NDArray input) {
        NDArray perPixel = outputs.get(0).sub(input).square().mean(new int[] {1}, true);
        int n = (int) input.getShape().get(0);
        int h = (int) input.getShape().get(2);
        int w = (int) input.getShape().get(3);
        List<RawOutput> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            AnomalyMap map = new AnomalyMap(h, w, plane(perPixel, i, 0));
            if (cfg.blurSigma() > 0) {
                map = map.gaussianBlur(cfg.blurSigma());
            }
            out.add(new RawOutput(map.max(), map));
        }
        return out;
    }
}
