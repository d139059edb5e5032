package dev.anomalysdk.core.persist;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a model directory written by {@link ModelWriter}. Safe on untrusted input: the manifest is plain
 * JSON of bounded size, file names cannot leave the directory, every file's SHA-256 is checked, tensors are
 * strict {@code .npy}; nothing is deserialized into arbitrary Java objects.
 */
public final class ModelReader {
    private static final long MAX_MANIFEST_BYTES = 16L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ObjectNode manifest;

    private ModelReader(Path dir, ObjectNode manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /**
     * Opens a model directory and checks its manifest.
     *
     * @throws IOException naming the directory when it is missing, not a model, or from a newer format
     */
    public static ModelReader open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("Model directory not found: " + dir);
        }
        Path file = dir.resolve(ModelFormat.MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Not a model directory (no " + ModelFormat.MANIFEST + "): " + dir);
        }
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
        return new ModelReader(dir, obj);
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

    /** @return the blob stored by {@link ModelWriter#putBytes}, verified against its checksum */
    public byte[] bytes(String name) throws IOException {
        ModelFormat.checkName(name);
        JsonNode entry = manifest.path("files").path(name);
        if (entry.isMissingNode()) {
            throw new IOException("Model " + dir + " has no file '" + name + "'");
        }
        Path file = dir.resolve(ModelFormat.FILES_DIR).resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Model file missing: " + file);
        }
        byte[] bytes = Files.readAllBytes(file);
        if (!ModelFormat.sha256(bytes).equals(entry.path("sha256").asText())) {
            throw new IOException("Model file " + file + " is corrupt (checksum mismatch)");
        }
        return bytes;
    }

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }
}
