package dev.anomalysdk.reconstruction.autoencoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.nn.AlignedConv2d;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.reconstruction.components.ReconstructionTask;
import dev.anomalysdk.reconstruction.components.Ssim;
import java.util.ArrayList;
import java.util.List;

/**
 * A convolutional autoencoder baseline (the reconstruction approach of e.g. Bergmann et al., "Improving
 * unsupervised defect segmentation by applying structural similarity to autoencoders", 2019): trained to
 * reproduce normal images, it reconstructs defects poorly, and the reconstruction error is the anomaly map.
 *
 * <p>Network: an {@link EncoderDecoder} without skip connections ({@code levels} levels, widths
 * {@code b, 2b, 4b, 8b, ...}), a 1x1 bottleneck of {@code latent_channels} channels, sigmoid output, on [0, 1] RGB
 * images. Loss {@code l2}: mean squared error; {@code l2_ssim}: plus {@code 1 - SSIM} (window 11, sigma 1.5).
 * Map: squared error averaged over channels ({@code l2}) or {@code 1 - SSIM} averaged over channels
 * ({@code l2_ssim}), smoothed with a Gaussian of {@code blur_sigma}; image score: the map's maximum. Adam with
 * cosine decay.
 *
 * <p>Thread safety: see {@link dev.anomalysdk.core.BaseDetector}.
 */
public final class AutoencoderDetector extends NetworkDetector {
    private final AutoencoderConfig cfg;

    AutoencoderDetector(Config config) {
        super(AutoencoderProvider.NAME, config,
                Preprocessing.unnormalized(3, config.get(AutoencoderConfig.IMAGE_SIZE)));
        this.cfg = new AutoencoderConfig(config);
    }

    @Override
    protected Block buildNetwork() {
        int[] widths = EncoderDecoder.doublingWidths(cfg.width(), cfg.levels());
        Block bottleneck = new SequentialBlock()
                .add(AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(1, 1))
                        .setFilters(cfg.latentChannels())))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(1, 1))
                        .setFilters(widths[widths.length - 1])))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock());
        return new EncoderDecoder(widths, 3, false, true, bottleneck);
    }

    @Override
    protected TrainingSchedule schedule() {
        return TrainingSchedule.adamCosine(cfg.epochs(), cfg.learningRate(), cfg.seed()).withMaxMinutes(cfg.maxMinutes());
    }

    @Override
    protected TrainingLoop.Task task(List<ImageData> images) {
        boolean ssim = cfg.loss() == AutoencoderConfig.Loss.L2_SSIM;
        return new ReconstructionTask(images, cfg.batchSize(), (pred, labels) -> {
            NDArray rec = pred.head();
            NDArray x = labels.head();
            NDArray l2 = rec.sub(x).square().mean();
            return ssim ? l2.add(Ssim.loss(rec, x)) : l2;
        });
    }

    @Override
    protected List<RawOutput> toResults(NDList outputs, NDArray input) {
        NDArray rec = outputs.head();
        NDArray error = cfg.loss() == AutoencoderConfig.Loss.L2_SSIM
                ? Ssim.map(rec, input, Ssim.WINDOW, Ssim.SIGMA).neg().add(1)
                : rec.sub(input).square();
        NDArray perPixel = error.mean(new int[] {1}, true);
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
