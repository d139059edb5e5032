package dev.anomalysdk.reconstruction.dsr;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.training.TrainingControl;
import java.util.List;

/**
 * The configuration keys of {@link DsrDetector}. Defaults follow the official DSR code ({@code train_dsr.py}:
 * 100 epochs, batch 8, Adam 2e-4, 256 px, VQ widths 128 / residual 64 x 2, 4096 codes of 128 dimensions per
 * codebook, module widths 64, upsampling module for half the epochs); they are a GPU workload. On a CPU use
 * small widths, small images and {@code max_minutes}.
 */
final class DsrConfig {
    /**
     * Smallest input side: the subspace restriction modules pool the 1/8-resolution codes twice more and
     * instance-normalize them there, which needs more than one position (at 32 px there is one, and instance norm
     * maps it to 0: the low-level module's output would not depend on its input; PyTorch refuses such input).
     */
    static final int MIN_IMAGE_SIZE = 64;
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 100, 1, 100_000,
            "Epochs of stage 2 (subspace restriction, object decoder, anomaly detection); lr x0.1 at 80 %");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per training step (every stage) and per inference batch");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 2e-4, 1e-8, 1.0,
            "Adam learning rate of every stage");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, MIN_IMAGE_SIZE, 2048,
            "Side of the square network input in pixels (a multiple of 32, at least 64)");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (weights, codebooks, batches, synthetic anomalies, calibration hold-out)");
    static final Param<String> VQ_MODEL = Param.ofString("vq_model", null, s -> !s.isBlank(), "a directory",
            "Directory of a pretrained VQ model (tools/convert_dsr_vq.py output for the official ImageNet model, "
                    + "or DsrDetector.exportVqModel); unset = train the VQ model on the training images (stage 1)");
    static final Param<Integer> VQ_EPOCHS = Param.ofInt("vq_epochs", 100, 1, 100_000,
            "Epochs of stage 1, training the VQ model on the training images when vq_model is unset");
    static final Param<Integer> UPSAMPLING_EPOCHS = Param.ofInt("upsampling_epochs", 50, 1, 100_000,
            "Epochs of stage 3, the upsampling module (official: half of the epochs)");
    static final Param<Integer> SAMPLES_PER_EPOCH = Param.ofInt("samples_per_epoch", 8000, 0, 100_000_000,
            "Training samples per epoch in every stage (official: 8000, drawn from the training images); "
                    + "0 = one pass over the training images");
    static final Param<Integer> HIDDEN = Param.ofInt("hidden", 128, 2, 4096,
            "Width of the VQ model's encoders and decoders (even; official 128)");
    static final Param<Integer> RESIDUAL_HIDDEN = Param.ofInt("residual_hidden", 64, 1, 4096,
            "Hidden channels of the residual units (official 64)");
    static final Param<Integer> RESIDUAL_LAYERS = Param.ofInt("residual_layers", 2, 0, 64,
            "Residual units per residual stack (official 2)");
    static final Param<Integer> EMBEDDING_DIM = Param.ofInt("embedding_dim", 128, 1, 4096,
            "Code dimension E of both codebooks, also the subspace restriction width (official 128)");
    static final Param<Integer> CODEBOOK_SIZE = Param.ofInt("codebook_size", 4096, 2, 1 << 16,
            "Codes per codebook K (official 4096)");
    static final Param<Integer> DETECTION_WIDTH = Param.ofInt("detection_width", 64, 1, 1024,
            "Base width of the anomaly detection U-Net (widths b, 2b, 4b, 4b; official 64)");
    static final Param<Integer> UPSAMPLING_WIDTH = Param.ofInt("upsampling_width", 64, 1, 1024,
            "Base width of the upsampling U-Net (official 64)");
    static final Param<Integer> SCORE_POOL = Param.ofInt("score_pool", 21, 1, 255,
            "Odd side of the average pooling of the detection module's mask whose maximum is the image score "
                    + "(official 21)");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock budget in minutes for all stages, shared in proportion to their epochs; 0 = none");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N", "Where the networks run");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(EPOCHS, BATCH_SIZE, LEARNING_RATE,
            IMAGE_SIZE, SEED, VQ_MODEL, VQ_EPOCHS, UPSAMPLING_EPOCHS, SAMPLES_PER_EPOCH, HIDDEN, RESIDUAL_HIDDEN,
            RESIDUAL_LAYERS, EMBEDDING_DIM, CODEBOOK_SIZE, DETECTION_WIDTH, UPSAMPLING_WIDTH, SCORE_POOL, MAX_MINUTES,
            DEVICE));

    private final Config config;

    DsrConfig(Config config) {
        this.config = config;
        if (imageSize() % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize()
                    + " (DSR needs a multiple of 32: features at 1/8 pass two more poolings)");
        }
        if (hidden() % 2 != 0) {
            throw new IllegalArgumentException("Invalid value for 'hidden': " + hidden() + " (must be even)");
        }
        if (scorePool() % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool() + " (must be odd)");
        }
    }

    int epochs() {
        return config.get(EPOCHS);
    }

    int batchSize() {
        return config.get(BATCH_SIZE);
    }

    double learningRate() {
        return config.get(LEARNING_RATE);
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    long seed() {
        return config.get(SEED);
    }

    String vqModel() {
        return config.get(VQ_MODEL);
    }

    int vqEpochs() {
        return config.get(VQ_EPOCHS);
    }

    int upsamplingEpochs() {
        return config.get(UPSAMPLING_EPOCHS);
    }

    int samplesPerEpoch() {
        return config.get(SAMPLES_PER_EPOCH);
    }

    int hidden() {
        return config.get(HIDDEN);
    }

    int residualHidden() {
        return config.get(RESIDUAL_HIDDEN);
    }

    int residualLayers() {
        return config.get(RESIDUAL_LAYERS);
    }

    int embeddingDim() {
        return config.get(EMBEDDING_DIM);
    }

    int codebookSize() {
        return config.get(CODEBOOK_SIZE);
    }

    int detectionWidth() {
        return config.get(DETECTION_WIDTH);
    }

    int upsamplingWidth() {
        return config.get(UPSAMPLING_WIDTH);
    }

    int scorePool() {
        return config.get(SCORE_POOL);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }

    String device() {
        return config.get(DEVICE);
    }

    /** @return the VQ architecture these settings describe */
    VqFiles.Architecture architecture(String source) {
        return new VqFiles.Architecture(hidden(), residualHidden(), residualLayers(), embeddingDim(), codebookSize(),
                source);
    }
}
