package dev.anomalysdk.reconstruction.autoencoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import dev.anomalysdk.core.BuiltInProvider;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.nn.AlignedConv2d;
import dev.anomalysdk.core.training.NetworkDetector;
import dev.anomalysdk.core.training.TrainingLoop;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;
import dev.anomalysdk.reconstruction.components.ReconstructionTask;
import dev.anomalysdk.reconstruction.components.Ssim;
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
 * ({@code l2_ssim}), smoothed by the core with a Gaussian of {@code map_sigma}; image score: the smoothed map's
 * maximum. Adam with cosine decay.
 *
 * <p>Thread safety: see {@link dev.anomalysdk.core.BaseDetector}.
 */
public final class AutoencoderDetector extends NetworkDetector {
    /** The registered name. */
    public static final String NAME = "autoencoder";
    private final AutoencoderOptions cfg;

    AutoencoderDetector(Config config) {
        this(config, AutoencoderOptions.of(config));
    }

    private AutoencoderDetector(Config config, AutoencoderOptions options) {
        super(NAME, config, Preprocessing.unnormalized(3, options.imageSize()));
        this.cfg = options;
    }

    /** Registers the autoencoder as {@value #NAME}. */
    public static final class Provider extends BuiltInProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, "Convolutional autoencoder baseline: map = reconstruction error (L2 or 1 - SSIM)",
                    AutoencoderOptions.PARAMS, AutoencoderDetector::new);
        }
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
    protected TrainingLoop.Task task(List<ImageData> images) {
        boolean ssim = cfg.loss() == AutoencoderOptions.Loss.L2_SSIM;
        return new ReconstructionTask(images, trainingBatchSize(), (pred, labels) -> {
            NDArray rec = pred.head();
            NDArray x = labels.head();
            NDArray l2 = rec.sub(x).square().mean();
            return ssim ? l2.add(Ssim.loss(rec, x)) : l2;
        });
    }

    @Override
    protected List<RawOutput> toResults(NDList outputs, NDArray input) {
        NDArray rec = outputs.head();
        NDArray error = cfg.loss() == AutoencoderOptions.Loss.L2_SSIM
                ? Ssim.map(rec, input, Ssim.WINDOW, Ssim.SIGMA).neg().add(1)
                : rec.sub(input).square();
        return maps(error.mean(new int[] {1}, true), 0).stream().map(RawOutput::mapMax).toList();
    }
}
