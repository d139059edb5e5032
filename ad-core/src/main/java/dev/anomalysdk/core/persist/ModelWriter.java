package dev.anomalysdk.core.persist;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model directory atomically: everything goes to a hidden sibling directory, which replaces the
 * target only once complete. A failure at any point leaves the previous model untouched.
 *
 * <p>The layout (format version {@value ModelFormat#VERSION}, documented in {@code docs/model-format.md}):
 * {@code manifest.json} (JSON, lists every file with its SHA-256) and {@code files/<name>} (NumPy
 * {@code .npy} float32 tensors and opaque byte blobs).
 */
public final class ModelWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path target;
    private final Path staging;
    private final ObjectNode manifest = JSON.createObjectNode();
    private final ObjectNode files = JSON.createObjectNode();
    private boolean committed;

    /**
     * Starts writing a model that will replace {@code target} on {@link #commit()}.
     *
     * @param target the model directory; its parent is created if needed
     */
    public ModelWriter(Path target) throws IOException {
        this.target = target.toAbsolutePath().normalize();
        if (Files.exists(this.target) && !Files.isDirectory(this.target)) {
            throw new IOException("Cannot write a model to " + this.target + ": it is a file, not a directory");
        }
        Path parent = this.target.getParent();
        Files.createDirectories(parent);
        this.staging = parent.resolve("." + this.target.getFileName() + ".writing-" + UUID.randomUUID());
        Files.createDirectories(staging.resolve(ModelFormat.FILES_DIR));
        manifest.put("format", ModelFormat.FORMAT_NAME);
        manifest.put("format_version", ModelFormat.VERSION);
    }

    /** @return the manifest, for detector-level fields; {@code files} is managed by this writer */
    public ObjectNode manifest() {
        return manifest;
    }

    /** Adds a float32 tensor, stored as {@code files/<name>.npy}. */
    public void putTensor(String name, float[] data, long... shape) throws IOException {
        putBytes(name + ".npy", Npy.toBytes(data, shape));
    }

    /** Adds an opaque file, stored as {@code files/<name>}. */
    public void putBytes(String name, byte[] bytes) throws IOException {
        ModelFormat.checkName(name);
        if (files.has(name)) {
            throw new IllegalArgumentException("Model file written twice: " + name);
        }
        Path file = staging.resolve(ModelFormat.FILES_DIR).resolve(name);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
            out.write(bytes);
        }
        ObjectNode entry = files.putObject(name);
        entry.put("sha256", ModelFormat.sha256(bytes));
        entry.put("bytes", bytes.length);
    }

    /**
     * Writes the manifest, flushes everything to disk and swaps the new directory into place.
     */
    public void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException("Model already committed to " + target);
        }
        manifest.set("files", files);
        Path manifestFile = staging.resolve(ModelFormat.MANIFEST);
        Files.write(manifestFile, JSON.writeValueAsBytes(manifest), StandardOpenOption.CREATE_NEW);
        try (Stream<Path> all = Files.walk(staging)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isRegularFile(p)) {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
        }
        Path backup = null;
        if (Files.exists(target)) {
            backup = target.resolveSibling("." + target.getFileName() + ".previous-" + UUID.randomUUID());
            move(target, backup);
        }
        try {
            move(staging, target);
        } catch (IOException e) {
            if (backup != null) {
                move(backup, target);
            }
            throw e;
        }
        committed = true;
        if (backup != null) {
            deleteTree(backup);
        }
        LOG.info("Model written to {}", target);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(from, to);
        }
    }

    /** Removes the staging directory if the model was not committed. */
    @Override
    public void close() {
        if (!committed) {
            deleteTree(staging);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("Could not remove temporary directory {}: {}", dir, e.getMessage());
        }
    }
}
