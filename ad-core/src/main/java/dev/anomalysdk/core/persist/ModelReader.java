package dev.anomalysdk.core.persist;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a model directory written by {@link ModelWriter}. Safe on untrusted input: the manifest is plain
 * JSON of bounded size, file names cannot leave the directory (neither by name nor through a symbolic link),
 * every file's size is checked before it is read and its SHA-256 after, tensors are strict {@code .npy};
 * nothing is deserialized into arbitrary Java objects. The checksums detect damage, not forgery: whoever can
 * change a file can change the manifest too (see {@code docs/model-format.md}).
 */
public final class ModelReader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelReader.class);
    private static final long MAX_MANIFEST_BYTES = 16L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ObjectNode manifest;

    private ModelReader(Path dir, ObjectNode manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /**
     * Opens a model directory and checks its manifest: format and version, and that every file it lists has
     * a plain name (no {@code ..}, no absolute path, no separator), a SHA-256 and a size a Java array can hold.
     *
     * <p>When {@code dir} is missing because a save was killed between moving the previous model aside and
     * moving the new one in, the previous model is read from where the save left it (the next save puts it
     * back in place).
     *
     * @throws IOException naming the directory when it is missing, not a model, from a newer format, or
     *     lists a file that is refused (naming the file and the reason)
     */
    public static ModelReader open(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            Optional<Path> backup = ModelFormat.interruptedBackup(dir);
            if (backup.isPresent()) {
                LOG.warn("Model {} is missing: a save was interrupted; reading the previous model left in {}", dir,
                        backup.get());
                dir = backup.get();
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("Model directory not found: " + dir);
        }
        Path file = dir.resolve(ModelFormat.MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Not a model directory (no " + ModelFormat.MANIFEST + "): " + dir);
        }
        requireInside(dir, file);
        if (Files.size(file) > MAX_MANIFEST_BYTES) {
            throw new IOException("Model manifest too large: " + file);
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IOException("Corrupt model manifest " + file + ": " + e.getOriginalMessage(), e);
        }
        if (!(root instanceof ObjectNode obj) || !ModelFormat.FORMAT_NAME.equals(root.path("format").asText())) {
            throw new IOException("Not an anomaly-sdk model manifest: " + file);
        }
        int version = root.path("format_version").asInt(-1);
        if (version > ModelFormat.VERSION) {
            throw new IOException("Model " + dir + " uses format version " + version
                    + ", newer than this SDK reads (" + ModelFormat.VERSION + "); upgrade anomaly-sdk");
        }
        if (version < 1) {
            throw new IOException("Model manifest " + file + " has an invalid format_version");
        }
        checkFileEntries(obj.path("files"), file);
        return new ModelReader(dir, obj);
    }

    /** Refuses a manifest whose {@code files} lists a name that could leave the directory or an invalid entry. */
    private static void checkFileEntries(JsonNode files, Path manifest) throws IOException {
        if (files.isMissingNode()) {
            return;
        }
        if (!files.isObject()) {
            throw new IOException("Model manifest " + manifest + ": 'files' is not an object");
        }
        for (Map.Entry<String, JsonNode> e : files.properties()) {
            String name = e.getKey();
            String problem = ModelFormat.nameProblem(name);
            if (problem != null) {
                throw new IOException("Model manifest " + manifest + " lists the file '" + name + "', refused: "
                        + problem);
            }
            JsonNode entry = e.getValue();
            if (!entry.path("sha256").asText().matches("[0-9a-f]{64}")) {
                throw new IOException("Model manifest " + manifest + ": file '" + name + "' has no valid sha256");
            }
            JsonNode size = entry.path("bytes");
            if (!size.canConvertToLong() || !size.isIntegralNumber() || size.asLong() < 0) {
                throw new IOException("Model manifest " + manifest + ": file '" + name + "' has no valid size");
            }
            if (size.asLong() > ModelFormat.MAX_FILE_BYTES) {
                throw new IOException("Model manifest " + manifest + ": file '" + name + "' is " + size.asLong()
                        + " bytes, more than can be read (" + ModelFormat.MAX_FILE_BYTES + ")");
            }
        }
    }

    /** Refuses a file whose real location (symbolic links followed) is outside the model directory. */
    private static void requireInside(Path dir, Path file) throws IOException {
        Path real = file.toRealPath();
        if (!real.startsWith(dir.toRealPath())) {
            throw new IOException("Model file " + file + " is a symbolic link leading outside the model directory"
                    + " (to " + real + "); refused");
        }
    }

    /** @return the model directory */
    public Path directory() {
        return dir;
    }

    /** @return the manifest (read-only by convention) */
    public ObjectNode manifest() {
        return manifest;
    }

    /** @return whether the model holds a file of that name */
    public boolean has(String name) {
        return manifest.path("files").has(name);
    }

    /** @return the tensor stored by {@link ModelWriter#putTensor}, verified against its checksum */
    public Npy.Array tensor(String name) throws IOException {
        byte[] bytes = bytes(name + ".npy");
        return Npy.read(new ByteArrayInputStream(bytes), dir + "/" + name + ".npy", bytes.length / 4L);
    }

    /**
     * @return the blob stored by {@link ModelWriter#putBytes}, verified against its checksum
     * @throws IOException naming the file when it is missing, a link leading outside the model directory, not
     *     the size the manifest records (checked before reading), or corrupt
     */
    public byte[] bytes(String name) throws IOException {
        ModelFormat.checkName(name);
        JsonNode entry = manifest.path("files").path(name);
        if (entry.isMissingNode()) {
            throw new IOException("Model " + dir + " has no file '" + name + "'");
        }
        Path file = dir.resolve(ModelFormat.FILES_DIR).resolve(name);
        if (!Files.exists(file)) {
            throw new IOException("Model file missing: " + file);
        }
        requireInside(dir, file);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Model file " + file + " is not a regular file");
        }
        long expected = entry.path("bytes").asLong();
        long actual = Files.size(file);
        if (actual != expected) {
            throw new IOException("Model file " + file + " is " + actual + " bytes but the manifest records "
                    + expected + " (truncated or replaced); refused before reading");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // bounded read: a file that grows after the size check cannot make us allocate more
            bytes = in.readNBytes((int) expected);
            if (bytes.length != expected || in.read() != -1) {
                throw new IOException("Model file " + file + " changed size while being read");
            }
        }
        if (!ModelFormat.sha256(bytes).equals(entry.path("sha256").asText())) {
            throw new IOException("Model file " + file + " is corrupt (checksum mismatch)");
        }
        return bytes;
    }

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }
}
