package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DSR's checkpoints under {@code checkpoint_dir}: one directory per stage run, named after the stage and a hash
 * of its fingerprint ({@code restoration-1a2b3c4d5e6f7a8b}). While a stage trains, {@link TrainingLoop} keeps its
 * epoch checkpoints there (so an interrupted stage resumes after its last checkpointed epoch); when the stage
 * ends, the whole network's parameters and the stage's training log are written there as
 * {@code finished.params} and {@code finished.json}, so a later fit with the same fingerprint skips the stage.
 * The detector chains the fingerprints (each stage's includes the previous stage's), so changing anything
 * upstream (settings, images, the VQ model) makes every later stage start afresh; directories of other runs
 * of a stage are removed when the stage starts. A completed fit removes all its stage directories.
 */
final class StageCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(StageCheckpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PARAMS = "finished.params";
    private static final String STATE = "finished.json";

    private final Path root;
    private final TrainingControl control;

    /** @param control the fit's training control; its directory must be set */
    StageCheckpoints(TrainingControl control) {
        if (control.checkpointDirectory() == null) {
            throw new IllegalArgumentException("No checkpoint directory");
        }
        this.root = control.checkpointDirectory();
        this.control = control;
    }

    /** @return the directory of a stage run */
    Path directory(String stage, String fingerprint) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(fingerprint.getBytes(StandardCharsets.UTF_8));
            return root.resolve(stage + "-" + HexFormat.of().formatHex(h, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** @return the training control of a stage run: the shared keys, with the stage run's directory */
    TrainingControl control(String stage, String fingerprint) {
        return new TrainingControl(control.patience(), directory(stage, fingerprint), control.checkpointEveryEpochs());
    }

    /**
     * Restores the network as a finished run of the stage left it, if there is one; otherwise removes the
     * directories of other runs of the stage.
     *
     * @param network the whole network (initialized)
     * @param manager owner of the restored parameters
     * @return the stage's training log, or empty when the stage has to run
     */
    Optional<TrainingLoop.Result> restore(String stage, String fingerprint, Block network, NDManager manager) {
        Path dir = directory(stage, fingerprint);
        try {
            if (Files.isRegularFile(dir.resolve(STATE)) && Files.isRegularFile(dir.resolve(PARAMS))) {
                JsonNode j = JSON.readTree(dir.resolve(STATE).toFile());
                if (fingerprint.equals(j.path("fingerprint").asText())) {
                    TrainingLoop.restoreParameters(network, manager, Files.readAllBytes(dir.resolve(PARAMS)));
                    LOG.info("stage {} finished in an earlier run: restored from {}", stage, dir);
                    return Optional.of(result(j));
                }
            }
            for (Path other : runs(stage)) {
                if (!other.equals(dir)) {
                    LOG.info("removing the checkpoints of another run of stage {}: {}", stage, other);
                    deleteRun(other);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the checkpoint of stage " + stage + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    /** Records a finished stage: the whole network's parameters and the stage's log. */
    void finish(String stage, String fingerprint, Block network, TrainingLoop.Result result) {
        Path dir = directory(stage, fingerprint);
        try {
            Files.createDirectories(dir);
            write(dir, PARAMS, TrainingLoop.parameterBytes(network));
            ObjectNode j = JSON.createObjectNode();
            j.put("fingerprint", fingerprint);
            j.put("steps", result.steps());
            j.put("seconds", result.seconds());
            j.put("best_epoch", result.bestEpoch());
            putDouble(j, "best_score", result.bestScore());
            ArrayNode epochs = j.putArray("epochs");
            for (TrainingLoop.EpochLog e : result.epochs()) {
                ObjectNode o = epochs.addObject();
                o.put("epoch", e.epoch());
                putDouble(o, "mean_loss", e.meanLoss());
                putDouble(o, "learning_rate", e.learningRate());
                putDouble(o, "validation_score", e.validationScore());
                putDouble(o, "elapsed_seconds", e.elapsedSeconds());
            }
            write(dir, STATE, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(j));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the checkpoint of stage " + stage + " to " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    /** Removes every stage directory (the fit completed). */
    void deleteAll(List<String> stages) {
        for (String stage : stages) {
            for (Path run : runs(stage)) {
                deleteRun(run);
            }
        }
    }

    private List<Path> runs(String stage) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches(stage + "-[0-9a-f]{16}"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the checkpoint directory " + root + ": " + e.getMessage(), e);
        }
    }

    private static void deleteRun(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.toList());
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("Could not remove the checkpoint directory {}: {}", dir, e.getMessage());
        }
    }

    private static void putDouble(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    private static double getDouble(JsonNode o, String key) {
        JsonNode v = o.path(key);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static TrainingLoop.Result result(JsonNode j) {
        List<TrainingLoop.EpochLog> epochs = new ArrayList<>();
        for (JsonNode e : j.path("epochs")) {
            epochs.add(new TrainingLoop.EpochLog(e.path("epoch").asInt(), getDouble(e, "mean_loss"),
                    getDouble(e, "learning_rate"), getDouble(e, "validation_score"), getDouble(e, "elapsed_seconds")));
        }
        return new TrainingLoop.Result(epochs, j.path("steps").asLong(), getDouble(j, "seconds"),
                j.path("best_epoch").asInt(), getDouble(j, "best_score"));
    }

    private static void write(Path dir, String name, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
