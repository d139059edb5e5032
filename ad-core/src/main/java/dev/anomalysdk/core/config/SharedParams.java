package dev.anomalysdk.core.config;

import java.util.List;

/**
 * The configuration keys that several detectors share, each declared once here with one meaning. A detector
 * lists the ones it uses among its own keys, adopting its method's default with {@link Param#withDefault}
 * (e.g. {@code SharedParams.IMAGE_SIZE.withDefault(224)}); a rule stricter than the shared one (DSR needs at
 * least 64 pixels) is checked by the detector's options type. The command line, {@code ad list NAME} and the
 * docs tables read the same declarations.
 *
 * <p>Process-wide settings are not keys: libtorch's thread pool is set by the application
 * ({@code DjlEnvironment.setThreads}, {@code ad --threads N}), never by creating or loading a detector.
 */
public final class SharedParams {
    private SharedParams() {}

    /** Random seed: the same seed, data and settings give the same model and scores. */
    public static final Param<Long> SEED = Param.ofLong("seed", 0L, 0L, Long.MAX_VALUE,
            "Random seed (initialization, sampling, calibration hold-out); the same seed gives the same model");

    /** Resize target: the image's shorter side when a crop follows, both sides otherwise. */
    public static final Param<Integer> IMAGE_SIZE = Param.ofInt("image_size", 256, 16, 8192,
            "Resize in pixels: the shorter image side when crop_size > 0, else both sides (square resize)");

    /** Side of the center crop the network sees after the resize (0 = none). */
    public static final Param<Integer> CROP_SIZE = Param.ofInt("crop_size", 0, 0, 8192,
            "Side of the center crop after the resize (0 = no crop); must not exceed image_size");

    /** Images per forward pass (and per training step for detectors that train). */
    public static final Param<Integer> BATCH_SIZE = Param.ofInt("batch_size", 8, 1, 1024,
            "Images per forward pass; for detectors that train, also per training step");

    /** Where networks run. */
    public static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where networks run: cpu, cuda, cuda:N, or auto (the first GPU when DJL's CUDA natives and a GPU are "
                    + "present, else the CPU); memory-bank kernels stay on the CPU");

    /** Worker threads of the SDK's own Java kernels. */
    public static final Param<Integer> THREADS = Param.ofInt("threads", 0, 0, 1024,
            "Worker threads of the detector's own Java kernels (coreset, k-NN; 0 = one per core). libtorch's "
                    + "threads are process-wide: set them with ad --threads or DjlEnvironment.setThreads");

    /** Pretrained feature extractor. */
    public static final Param<String> BACKBONE = Param.ofString("backbone", "resnet18", s -> !s.isBlank(),
            "a TorchScript file or URL, or a built-in architecture name (random weights)",
            "Feature extractor: a pretrained TorchScript backbone exported with tools/export_backbone.py, or a "
                    + "built-in architecture with random weights (offline fallback, weak on real images)");

    /** Backbone layers the method reads. */
    public static final Param<String> LAYERS = Param.ofString("layers", "layer2,layer3",
            s -> s.matches("[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*"), "comma-separated layer names, shallow to deep",
            "Backbone layers the method reads, shallow to deep");

    /** Gaussian smoothing of the anomaly map. */
    public static final Param<Double> MAP_SIGMA = Param.ofDouble("map_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the anomaly map: sigma in pixels at network input resolution (0 = none)");

    /** Training length. */
    public static final Param<Integer> EPOCHS = Param.ofInt("epochs", 100, 1, 1_000_000,
            "Training epochs (training also stops at max_minutes or by patience)");

    /** Optimizer learning rate. */
    public static final Param<Double> LEARNING_RATE = Param.ofDouble("learning_rate", 1e-3, 1e-7, 10.0,
            "Optimizer learning rate");

    /** Wall-clock training budget. */
    public static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes (0 = no limit; set 0 for models reproducible bit for bit)");

    /** Early stopping. */
    public static final Param<Integer> PATIENCE = Param.ofInt("patience", 0, 0, 1_000_000,
            "Early stopping: validations in a row without improvement before training stops (0 = never; needs "
                    + "a detector that validates)");

    /** Checkpoint directory. */
    public static final Param<String> CHECKPOINT_DIR = Param.ofString("checkpoint_dir", "", s -> true,
            "a directory, or empty for none",
            "Where training writes checkpoints; a run given the same directory resumes from the last one");

    /** Epochs between checkpoints. */
    public static final Param<Integer> CHECKPOINT_EVERY = Param.ofInt("checkpoint_every", 1, 1, 1_000_000,
            "Epochs between checkpoints (with checkpoint_dir)");

    /** The training-control keys every detector that trains a network declares. */
    public static final List<Param<?>> TRAINING_CONTROL = List.of(PATIENCE, CHECKPOINT_DIR, CHECKPOINT_EVERY);
}
