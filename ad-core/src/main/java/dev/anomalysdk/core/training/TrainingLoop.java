package dev.anomalysdk.core.training;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.ParameterTracker;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ProgressListener;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small training loop for networks built from DJL blocks, on DJL's PyTorch engine: the method supplies
 * batches and a loss ({@link Task}), optionally a validation metric ({@link Validation}); the loop does
 * seeded initialization, the optimizer and learning-rate schedule ({@link TrainingSchedule}), per-epoch
 * logging of loss, learning rate and elapsed time (SLF4J and {@link ProgressListener}), the time budget,
 * and model selection: the parameters with the best validation score are kept and restored at the end (on
 * ties, the later epoch wins).
 *
 * <p><b>Memory.</b> Every step runs in its own sub-manager of the trainer's manager, closed when the step
 * ends; the task must create the batch's arrays in the manager it is given. The model's manager then holds
 * only the parameters, their gradients and the optimizer state, however many steps run. One DJL
 * {@link Trainer} is created per call and closed at the end (DJL leaves gradient arrays behind when several
 * trainers are made for one model, djl#1317): use a fresh {@link Model} per fit.
 *
 * <p><b>Reproducibility.</b> Weights are initialized from a {@link java.util.Random} seeded by the schedule
 * ({@link SeededInitializer}), not from libtorch's global generator, and the task's batches are drawn with a
 * {@code Random} seeded by the schedule too; on the CPU with the same thread count, the same seed gives the
 * same parameters (with {@code maxMinutes = 0}). The network must not use libtorch's own randomness
 * (dropout) if that is wanted.
 *
 * <p>Usage:
 * <pre>{@code
 * try (Model model = Model.newInstance("net", device)) {
 *     model.setBlock(block);
 *     TrainingLoop.Result r = TrainingLoop.fit(model, new Shape[] {new Shape(8, 1, 64, 64)}, schedule, task,
 *             validation, progress);
 * }
 * }</pre>
 */
public final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private TrainingLoop() {}

    /** A training batch: network inputs and the labels the loss compares predictions with. */
    public record Batch(NDList inputs, NDList labels) { }

    /** What a training method supplies to the loop. */
    public interface Task {
        /** @return optimizer steps in one epoch, at least 1 */
        int stepsPerEpoch();

        /**
         * Makes the next training batch.
         *
         * @param scope the manager to create every array of the batch in (closed after the step)
         * @param random the loop's seeded generator; use it for all sampling so runs are reproducible
         * @return inputs and labels
         */
        Batch nextBatch(NDManager scope, Random random);

        /**
         * @param predictions the network's training-mode outputs for the batch
         * @param labels the batch's labels
         * @return a scalar loss to minimize
         */
        NDArray loss(NDList predictions, NDList labels);
    }

    /** The network in inference mode (no gradients, batch norm with running statistics). */
    @FunctionalInterface
    public interface Forward {
        /**
         * @param inputs arrays created in a manager the caller controls; outputs go to the same manager
         * @return the outputs
         */
        NDList predict(NDList inputs);
    }

    /** A validation metric, higher is better (an AUROC, say); used for model selection. */
    @FunctionalInterface
    public interface Validation {
        /**
         * @param network the current network in inference mode
         * @return the score of the current parameters
         */
        double score(Forward network);
    }

    /**
     * One epoch's record.
     *
     * @param epoch 1-based epoch number
     * @param meanLoss mean training loss over the epoch's steps
     * @param learningRate learning rate at the end of the epoch
     * @param validationScore the validation score after this epoch, or NaN when not validated
     * @param elapsedSeconds wall-clock time since training began
     */
    public record EpochLog(int epoch, double meanLoss, double learningRate, double validationScore,
            double elapsedSeconds) { }

    /**
     * What a run did.
     *
     * @param epochs per-epoch records
     * @param steps optimizer steps taken
     * @param seconds wall-clock duration
     * @param bestEpoch the epoch whose parameters were kept (the last when there is no validation)
     * @param bestScore its validation score, or NaN without validation
     */
    public record Result(List<EpochLog> epochs, long steps, double seconds, int bestEpoch, double bestScore) {
        /** Copies the list. */
        public Result {
            epochs = List.copyOf(epochs);
        }

        /** @return the mean loss of the first epoch */
        public double firstLoss() {
            return epochs.get(0).meanLoss();
        }

        /** @return the mean loss of the last epoch */
        public double lastLoss() {
            return epochs.get(epochs.size() - 1).meanLoss();
        }

        /**
         * Records this run in a model's provenance, with the same keys for every detector that trains.
         *
         * @param provenance the provenance object
         * @param imagesPerStep images in one training step (for the throughput)
         */
        public void describe(ObjectNode provenance, int imagesPerStep) {
            provenance.put("train_steps", steps);
            provenance.put("train_epochs", epochs.size());
            provenance.put("train_seconds", seconds);
            provenance.put("train_images_per_second", seconds > 0 ? steps * (double) imagesPerStep / seconds : Double.NaN);
            provenance.put("first_epoch_loss", firstLoss());
            provenance.put("last_epoch_loss", lastLoss());
        }
    }

    /**
     * Initializes a block's parameters as {@link #fit} does (seeded He-normal weights, DJL's defaults for
     * biases and normalization), e.g. to compare a trained network with an untrained one.
     *
     * @param block the network
     * @param manager owner of the parameters
     * @param seed initialization seed
     * @param inputShapes shapes of the network inputs
     */
    public static void initialize(Block block, NDManager manager, long seed, Shape... inputShapes) {
        block.setInitializer(new SeededInitializer(seed), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, inputShapes);
    }

    /**
     * Trains the model's block.
     *
     * @param model a model with its block set; its device is where training runs
     * @param inputShapes shapes of the network inputs (any batch size) to initialize the parameters
     * @param schedule length, optimizer, learning rate, seed
     * @param task batches and loss
     * @param validation model-selection metric, or {@code null} to keep the last parameters
     * @param progress receives "training" progress in percent of the schedule
     * @return the per-epoch log and the selected epoch
     */
    public static Result fit(Model model, Shape[] inputShapes, TrainingSchedule schedule, Task task,
            Validation validation, ProgressListener progress) {
        return fit(model, inputShapes, schedule, TrainingControl.NONE, task, validation, progress);
    }

    /**
     * Trains the model's block, with early stopping and checkpoints as {@code control} says.
     *
     * @param model a model with its block set; its device is where training runs
     * @param inputShapes shapes of the network inputs (any batch size) to initialize the parameters
     * @param schedule length, optimizer, learning rate, seed
     * @param control early stopping and checkpoints
     * @param task batches and loss
     * @param validation model-selection metric, or {@code null} to keep the last parameters
     * @param progress receives "training" progress in percent of the schedule
     * @return the per-epoch log (from the resumed epoch on, when resuming) and the selected epoch
     */
    public static Result fit(Model model, Shape[] inputShapes, TrainingSchedule schedule, TrainingControl control,
            Task task, Validation validation, ProgressListener progress) {
        DjlEnvironment.init();
        Block block = model.getBlock();
        if (block == null) {
            throw new IllegalArgumentException("Model " + model.getName() + " has no block");
        }
        int stepsPerEpoch = task.stepsPerEpoch();
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("Invalid steps per epoch: " + stepsPerEpoch);
        }
        double[] currentRate = {schedule.learningRateAt(0)};
        ParameterTracker rate = (parameterId, numUpdate) -> (float) currentRate[0];
        ai.djl.training.optimizer.Optimizer optimizer = switch (schedule.optimizer()) {
            case ADAM -> ai.djl.training.optimizer.Optimizer.adam().optLearningRateTracker(rate)
                    .optBeta1((float) schedule.beta1()).optBeta2((float) schedule.beta2())
                    .optWeightDecays((float) schedule.weightDecay()).build();
            case SGD -> ai.djl.training.optimizer.Optimizer.sgd().setLearningRateTracker(rate)
                    .optMomentum((float) schedule.momentum()).optWeightDecays((float) schedule.weightDecay()).build();
        };
        // The loss object is never called: the task computes the loss. DJL's config requires one.
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                .optOptimizer(optimizer)
                .optDevices(new ai.djl.Device[] {model.getNDManager().getDevice()})
                .optInitializer(new SeededInitializer(schedule.seed()), Parameter.Type.WEIGHT);
        Random random = new Random(schedule.seed() * 0x9E3779B97F4A7C15L + 12345);
        List<EpochLog> log = new ArrayList<>();
        long start = System.nanoTime();
        long step = 0;
        int bestEpoch = -1;
        double bestScore = Double.NaN;
        byte[] bestParameters = null;
        LOG.info("training {} ({} steps per epoch)", schedule, stepsPerEpoch);
        int sinceImprovement = 0;
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.initialize(inputShapes);
            Forward inference = inputs -> trainer.evaluate(inputs);
            int epoch = 0;
            Checkpoints checkpoints = control.checkpointDirectory() == null ? null
                    : new Checkpoints(control.checkpointDirectory(), fingerprint(block, schedule, stepsPerEpoch));
            Checkpoints.State resumed = checkpoints == null ? null : checkpoints.load(block, model.getNDManager());
            if (resumed != null) {
                epoch = resumed.epoch();
                step = resumed.step();
                start -= (long) (resumed.seconds() * 1e9);
                bestEpoch = resumed.bestEpoch();
                bestScore = resumed.bestScore();
                bestParameters = resumed.bestParameters();
                // The batch order restarts from a new stream; the optimizer's moments restart from zero.
                random = new Random(schedule.seed() * 0x9E3779B97F4A7C15L + 12345 + epoch);
                LOG.info("resumed from the checkpoint of epoch {} in {}", epoch, control.checkpointDirectory());
            }
            boolean done = schedule.progress(step, stepsPerEpoch, seconds(start)) >= 1;
            while (!done) {
                epoch++;
                double lossSum = 0;
                int lossCount = 0;
                for (int s = 0; s < stepsPerEpoch; s++) {
                    double p = schedule.progress(step, stepsPerEpoch, seconds(start));
                    if (p >= 1) {
                        done = true;
                        break;
                    }
                    currentRate[0] = schedule.learningRateAt(p);
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        Batch batch = task.nextBatch(scope, random);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDList predictions = trainer.forward(batch.inputs());
                            NDArray loss = task.loss(predictions, batch.labels());
                            float value = loss.getFloat();
                            if (!Float.isFinite(value)) {
                                throw new IllegalStateException(String.format(Locale.ROOT,
                                        "Training diverged: loss %s at step %d (learning rate %.3g); lower the "
                                                + "learning rate", value, step, currentRate[0]));
                            }
                            lossSum += value;
                            lossCount++;
                            gc.backward(loss);
                        }
                        trainer.step();
                    }
                    step++;
                }
                if (lossCount == 0) {
                    break;
                }
                double p = schedule.progress(step, stepsPerEpoch, seconds(start));
                done = done || p >= 1;
                double score = Double.NaN;
                if (validation != null && (done || epoch % schedule.validateEveryEpochs() == 0)) {
                    score = validation.score(inference);
                    if (bestParameters == null || score >= bestScore) {
                        sinceImprovement = bestParameters == null || score > bestScore ? 0 : sinceImprovement + 1;
                        bestScore = score;
                        bestEpoch = epoch;
                        bestParameters = parameterBytes(block);
                    } else {
                        sinceImprovement++;
                    }
                    if (control.patience() > 0 && sinceImprovement >= control.patience() && !done) {
                        LOG.info("early stop after epoch {}: {} validations without improvement", epoch,
                                sinceImprovement);
                        done = true;
                    }
                }
                EpochLog e = new EpochLog(epoch, lossSum / lossCount, currentRate[0], score, seconds(start));
                log.add(e);
                LOG.info(String.format(Locale.ROOT, "epoch %d: loss %.4f, lr %.2e%s, %.1f s", epoch, e.meanLoss(),
                        e.learningRate(), Double.isNaN(score) ? "" : String.format(Locale.ROOT, ", validation %.4f",
                                score), e.elapsedSeconds()));
                progress.update("training", Math.round(100 * p), 100);
                if (checkpoints != null && !done && epoch % control.checkpointEveryEpochs() == 0) {
                    checkpoints.save(new Checkpoints.State(epoch, step, seconds(start), bestEpoch, bestScore,
                            bestParameters), Checkpoints.encode(block));
                }
            }
            if (checkpoints != null) {
                checkpoints.delete();
            }
        }
        if (bestParameters != null && bestEpoch != log.size()) {
            restoreParameters(block, model.getNDManager(), bestParameters);
            LOG.info("kept the parameters of epoch {} (validation {})", bestEpoch,
                    String.format(Locale.ROOT, "%.4f", bestScore));
        }
        if (bestEpoch < 0) {
            bestEpoch = log.size();
        }
        return new Result(log, step, seconds(start), bestEpoch, bestScore);
    }

    /** Identifies a run for resuming: the parameters' names and shapes, the schedule, the epoch length. */
    private static String fingerprint(Block block, TrainingSchedule schedule, int stepsPerEpoch) {
        StringBuilder sb = new StringBuilder(schedule.toString()).append("|steps=").append(stepsPerEpoch);
        block.getParameters().forEach(p -> sb.append('|').append(p.getKey()).append(p.getValue().getArray().getShape()));
        return sb.toString();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** @return the block's parameters in DJL's parameter format ({@link Block#saveParameters}) */
    public static byte[] parameterBytes(Block block) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot serialize the network parameters: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /**
     * Loads parameters written by {@link #parameterBytes} into an initialized block of the same structure.
     *
     * @param block the network
     * @param manager owner of the loaded arrays
     * @param bytes the serialized parameters
     */
    public static void restoreParameters(Block block, NDManager manager, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            block.loadParameters(manager, in);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalArgumentException("Cannot load network parameters (" + bytes.length + " bytes) into "
                    + block.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
