package dev.anomalysdk.reconstruction.dsr;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.training.TrainingControl;
import java.util.List;

/**
 * DSR's options, validated. Defaults follow the official DSR code ({@code train_dsr.py}: 100 epochs, batch 8,
 * Adam 2e-4, 256 px, VQ widths 128 / residual 64 x 2, 4096 codes of 128 dimensions per codebook, module widths
 * 64, upsampling module for half the epochs); they are a GPU workload. On a CPU use small widths, small images
 * and {@code max_minutes}, which is shared by all stages in proportion to their epochs. The maps are not
 * smoothed (the official evaluation uses the upsampling module's mask as it is).
 *
 * @param epochs epochs of stage 2 (subspace restriction, object decoder, anomaly detection)
 * @param batchSize images per training step (every stage) and per inference batch
 * @param learningRate Adam learning rate of every stage
 * @param imageSize side of the square network input: a multiple of 32, at least {@value #MIN_IMAGE_SIZE}
 * @param seed random seed
 * @param vqModel directory of a pretrained VQ model, or null to train one (stage 1)
 * @param vqEpochs epochs of stage 1
 * @param upsamplingEpochs epochs of stage 3
 * @param samplesPerEpoch training samples per epoch, 0 = one pass over the training images
 * @param hidden width of the VQ model's encoders and decoders (even)
 * @param residualHidden hidden channels of the residual units
 * @param residualLayers residual units per residual stack
 * @param embeddingDim code dimension of both codebooks
 * @param codebookSize codes per codebook
 * @param detectionWidth base width of the anomaly detection U-Net
 * @param upsamplingWidth base width of the upsampling U-Net
 * @param scorePool odd side of the average pooling whose maximum is the image score
 * @param maxMinutes wall-clock budget for all stages, 0 = none
 * @param device where the networks run
 */
record DsrOptions(int epochs, int batchSize, double learningRate, int imageSize, long seed, String vqModel,
        int vqEpochs, int upsamplingEpochs, int samplesPerEpoch, int hidden, int residualHidden, int residualLayers,
        int embeddingDim, int codebookSize, int detectionWidth, int upsamplingWidth, int scorePool, double maxMinutes,
        String device) {
    /**
     * Smallest input side: the subspace restriction modules pool the 1/8-resolution codes twice more and
     * instance-normalize them there, which needs more than one position (at 32 px there is one, and instance norm
     * maps it to 0: the low-level module's output would not depend on its input; PyTorch refuses such input).
     */
    static final int MIN_IMAGE_SIZE = 64;
    static final Param<Double> LEARNING_RATE = SharedParams.LEARNING_RATE.withDefault(2e-4);
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
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

    static final List<Param<?>> PARAMS = TrainingControl.withControlParams(List.of(SharedParams.EPOCHS,
            SharedParams.BATCH_SIZE, LEARNING_RATE, IMAGE_SIZE, SharedParams.SEED, VQ_MODEL, VQ_EPOCHS,
            UPSAMPLING_EPOCHS, SAMPLES_PER_EPOCH, HIDDEN, RESIDUAL_HIDDEN, RESIDUAL_LAYERS, EMBEDDING_DIM,
            CODEBOOK_SIZE, DETECTION_WIDTH, UPSAMPLING_WIDTH, SCORE_POOL, SharedParams.MAX_MINUTES,
            SharedParams.DEVICE));

    /** Validates DSR's rules beyond the keys' own. */
    DsrOptions {
        if (imageSize < MIN_IMAGE_SIZE) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize + " (DSR needs at least "
                    + MIN_IMAGE_SIZE + ": its restriction modules instance-normalize codes at 1/32 of the side)");
        }
        if (imageSize % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize
                    + " (DSR needs a multiple of 32: features at 1/8 pass two more poolings)");
        }
        if (hidden % 2 != 0) {
            throw new IllegalArgumentException("Invalid value for 'hidden': " + hidden + " (must be even)");
        }
        if (scorePool % 2 == 0) {
            throw new IllegalArgumentException("Invalid value for 'score_pool': " + scorePool + " (must be odd)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static DsrOptions of(Config c) {
        return new DsrOptions(c.get(SharedParams.EPOCHS), c.get(SharedParams.BATCH_SIZE), c.get(LEARNING_RATE),
                c.get(IMAGE_SIZE), c.get(SharedParams.SEED), c.get(VQ_MODEL), c.get(VQ_EPOCHS), c.get(UPSAMPLING_EPOCHS),
                c.get(SAMPLES_PER_EPOCH), c.get(HIDDEN), c.get(RESIDUAL_HIDDEN), c.get(RESIDUAL_LAYERS),
                c.get(EMBEDDING_DIM), c.get(CODEBOOK_SIZE), c.get(DETECTION_WIDTH), c.get(UPSAMPLING_WIDTH),
                c.get(SCORE_POOL), c.get(SharedParams.MAX_MINUTES), c.get(SharedParams.DEVICE));
    }

    /** @return the VQ architecture these options describe */
    VqFiles.Architecture architecture(String source) {
        return new VqFiles.Architecture(hidden, residualHidden, residualLayers, embeddingDim, codebookSize, source);
    }
}
