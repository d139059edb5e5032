package dev.anomalysdk.core.training;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.nio.file.Path;
import java.util.List;

/**
 * When a training run stops early and where it leaves checkpoints; the same keys for every detector that
 * trains ({@link #PARAMS}).
 *
 * <p><b>Early stopping.</b> With a validation metric, training stops once {@code patience} validations in a
 * row have not improved on the best one (0 = never); the best parameters are kept as usual.
 *
 * <p><b>Checkpoints.</b> With a directory, the network's parameters and the run's position (epoch, step,
 * elapsed time, best validation so far) are written there atomically every {@code checkpointEveryEpochs}
 * epochs. A run started with the same directory, network and schedule resumes after the last checkpointed
 * epoch; a checkpoint of another network or schedule is ignored with a warning. The optimizer's moments and
 * the batch order restart on resume (DJL does not expose the optimizer state), so a resumed run is close to,
 * not bit-identical with, an uninterrupted one. The files are removed when training completes.
 *
 * @param patience validations without improvement before stopping, or 0 to run the whole schedule
 * @param checkpointDirectory where checkpoints go, or {@code null} for none
 * @param checkpointEveryEpochs epochs between checkpoints, at least 1
 */
public record TrainingControl(int patience, Path checkpointDirectory, int checkpointEveryEpochs) {

    /** No early stopping, no checkpoints. */
    public static final TrainingControl NONE = new TrainingControl(0, null, 1);

    /** Config key: validations without improvement before stopping (0 = never). */
    public static final Param<Integer> PATIENCE = Param.ofInt("patience", 0, 0, 1_000_000,
            "Early stopping: validations in a row without improvement before training stops (0 = never; needs "
                    + "a detector that validates)");
    /** Config key: checkpoint directory (empty = none). */
    public static final Param<String> CHECKPOINT_DIR = Param.ofString("checkpoint_dir", "", s -> true,
            "a directory, or empty for none",
            "Where training writes checkpoints; a run given the same directory resumes from the last one");
    /** Config key: epochs between checkpoints. */
    public static final Param<Integer> CHECKPOINT_EVERY = Param.ofInt("checkpoint_every", 1, 1, 1_000_000,
            "Epochs between checkpoints (with checkpoint_dir)");
    /** The keys above, for a detector's parameter list. */
    public static final List<Param<?>> PARAMS = List.of(PATIENCE, CHECKPOINT_DIR, CHECKPOINT_EVERY);

    /** Validates the fields. */
    public TrainingControl {
        if (patience < 0) {
            throw new IllegalArgumentException("Invalid patience: " + patience + " (0 or more)");
        }
        if (checkpointEveryEpochs < 1) {
            throw new IllegalArgumentException("Invalid checkpoint interval: " + checkpointEveryEpochs + " epochs");
        }
    }

    /** @return the control set by a detector configuration that declares {@link #PARAMS} */
    public static TrainingControl from(Config config) {
        String dir = config.get(CHECKPOINT_DIR).strip();
        return new TrainingControl(config.get(PATIENCE), dir.isEmpty() ? null : Path.of(dir),
                config.get(CHECKPOINT_EVERY));
    }

    /** @param params a detector's own parameters @return them followed by {@link #PARAMS} */
    public static List<Param<?>> withControlParams(List<Param<?>> params) {
        return java.util.stream.Stream.concat(params.stream(), PARAMS.stream()).toList();
    }
}
