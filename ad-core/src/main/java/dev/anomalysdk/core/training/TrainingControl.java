package dev.anomalysdk.core.training;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
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

    /** The keys, declared in {@link SharedParams}, for a detector's parameter list. */
    public static final List<Param<?>> PARAMS = SharedParams.TRAINING_CONTROL;

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
        String dir = config.get(SharedParams.CHECKPOINT_DIR).strip();
        return new TrainingControl(config.get(SharedParams.PATIENCE), dir.isEmpty() ? null : Path.of(dir),
                config.get(SharedParams.CHECKPOINT_EVERY));
    }

    /** @param params a detector's own parameters @return them followed by {@link #PARAMS} */
    public static List<Param<?>> withControlParams(List<Param<?>> params) {
        return java.util.stream.Stream.concat(params.stream(), PARAMS.stream()).toList();
    }
}
