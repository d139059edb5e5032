package dev.anomalysdk.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint files of one training run (see {@link TrainingControl}): {@code checkpoint.params} (the
 * network), {@code checkpoint.best.params} (the best validated parameters, when there are any) and
 * {@code checkpoint.json} (the position and the run's fingerprint), each written to a temporary file and moved
 * into place, the JSON last: a crash mid-save leaves a readable checkpoint (at worst with parameters one
 * epoch newer than its recorded position).
 */
final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATE = "checkpoint.json";
    private static final String PARAMS = "checkpoint.params";
    private static final String BEST = "checkpoint.best.params";

    private final Path directory;
    private final String fingerprint;

    /** Where a run stands: the last finished epoch and the best validation so far. */
    record State(int epoch, long step, double seconds, int bestEpoch, double bestScore, byte[] bestParameters) {
    }

    Checkpoints(Path directory, String fingerprint) {
        this.directory = directory;
        this.fingerprint = fingerprint;
    }

    /**
     * Restores the network from the checkpoint, if there is one of this run.
     *
     * @return the position to resume from, or {@code null} to start afresh
     */
    State load(Block block, NDManager manager) {
        Path state = directory.resolve(STATE);
        if (!Files.isRegularFile(state)) {
            return null;
        }
        try {
            JsonNode j = JSON.readTree(state.toFile());
            if (!fingerprint.equals(j.path("fingerprint").asText())) {
                LOG.warn("Ignoring the checkpoint in {}: it was written by another network or schedule", directory);
                return null;
            }
            restoreInPlace(block, manager, Files.readAllBytes(directory.resolve(PARAMS)));
            byte[] best = j.path("best_epoch").asInt(-1) > 0 && Files.isRegularFile(directory.resolve(BEST))
                    ? Files.readAllBytes(directory.resolve(BEST)) : null;
            return new State(j.path("epoch").asInt(), j.path("step").asLong(), j.path("seconds").asDouble(),
                    best == null ? -1 : j.path("best_epoch").asInt(), best == null ? Double.NaN
                            : j.path("best_score").asDouble(), best);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the training checkpoint in " + directory + ": "
                    + e.getMessage(), e);
        }
    }

    /** The block's parameter arrays, in order, as one encoded {@link NDList}. */
    static byte[] encode(Block block) {
        NDList list = new NDList();
        block.getParameters().values().forEach(p -> list.add(p.getArray()));
        return list.encode();
    }

    /**
     * Copies encoded parameters into the block's existing arrays. In place, because a running trainer keeps
     * references to those arrays (loading new ones would leave it training the old values).
     */
    private static void restoreInPlace(Block block, NDManager manager, byte[] bytes) {
        try (NDManager scope = manager.newSubManager()) {
            NDList saved = NDList.decode(scope, bytes);
            List<Parameter> params = new ArrayList<>(block.getParameters().values());
            if (saved.size() != params.size()) {
                throw new IllegalArgumentException("checkpoint has " + saved.size() + " parameters, the network "
                        + params.size());
            }
            for (int i = 0; i < params.size(); i++) {
                NDArray target = params.get(i).getArray();
                if (!target.getShape().equals(saved.get(i).getShape())) {
                    throw new IllegalArgumentException("checkpoint parameter " + i + " has shape "
                            + saved.get(i).getShape() + ", the network " + target.getShape());
                }
                target.set(saved.get(i).toType(target.getDataType(), false).toByteBuffer());
            }
        }
    }

    /** Writes the checkpoint of a finished epoch; {@code parameters} from {@link #encode}. */
    void save(State s, byte[] parameters) {
        try {
            Files.createDirectories(directory);
            write(PARAMS, parameters);
            if (s.bestParameters() != null) {
                write(BEST, s.bestParameters());
            }
            ObjectNode j = JSON.createObjectNode();
            j.put("fingerprint", fingerprint);
            j.put("epoch", s.epoch());
            j.put("step", s.step());
            j.put("seconds", s.seconds());
            j.put("best_epoch", s.bestParameters() == null ? -1 : s.bestEpoch());
            j.put("best_score", s.bestScore());
            write(STATE, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(j));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write a training checkpoint to " + directory + ": "
                    + e.getMessage(), e);
        }
    }

    /** Removes this run's files (training completed). */
    void delete() {
        try {
            for (String f : new String[] {STATE, PARAMS, BEST}) {
                Files.deleteIfExists(directory.resolve(f));
            }
        } catch (IOException e) {
            LOG.warn("Could not remove the checkpoint files in {}: {}", directory, e.getMessage());
        }
    }

    private void write(String name, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(directory, name, ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
