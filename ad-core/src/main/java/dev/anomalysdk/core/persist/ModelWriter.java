package dev.anomalysdk.core.persist;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model directory atomically: everything goes to a hidden sibling directory, which replaces the
 * target only once complete and flushed to disk. A failure at any point (an exception, a full disk, the
 * process being killed) leaves the previous model or the new one, never a mix.
 *
 * <p>Replacing a directory takes two renames (previous model aside, new one in). A process killed between
 * them leaves the target missing and the previous model complete next to it: {@link ModelReader#open} then
 * reads the previous model, and the next writer of the same target moves it back before saving. The next
 * writer also removes what killed saves left behind (staging directories of processes no longer running,
 * set-aside previous models). One writer per model directory at a time.
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
     * @throws IOException naming the target when it is a file or the staging directory cannot be created
     */
    public ModelWriter(Path target) throws IOException {
        this.target = target.toAbsolutePath().normalize();
        if (Files.exists(this.target) && !Files.isDirectory(this.target)) {
            throw new IOException("Cannot write a model to " + this.target + ": it is a file, not a directory");
        }
        Path parent = this.target.getParent();
        this.staging = parent.resolve("." + this.target.getFileName() + ModelFormat.STAGING_INFIX
                + ProcessHandle.current().pid() + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(parent);
            recoverInterruptedSave();
            Files.createDirectories(staging.resolve(ModelFormat.FILES_DIR));
        } catch (IOException e) {
            deleteTree(staging);
            throw failure("preparing " + staging, e);
        }
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

    /**
     * Adds an opaque file, stored as {@code files/<name>}.
     *
     * @throws IOException naming the model and the file when it cannot be written (e.g. the disk is full)
     */
    public void putBytes(String name, byte[] bytes) throws IOException {
        ModelFormat.checkName(name);
        if (files.has(name)) {
            throw new IllegalArgumentException("Model file written twice: " + name);
        }
        Path file = staging.resolve(ModelFormat.FILES_DIR).resolve(name);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
            out.write(bytes);
        } catch (IOException e) {
            throw failure("writing " + ModelFormat.FILES_DIR + "/" + name + " (" + bytes.length + " bytes)", e);
        }
        ObjectNode entry = files.putObject(name);
        entry.put("sha256", ModelFormat.sha256(bytes));
        entry.put("bytes", bytes.length);
    }

    /**
     * Writes the manifest, flushes everything to disk and swaps the new directory into place.
     *
     * @throws IOException naming the model when a step fails; the previous model is then left in place
     */
    public void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException("Model already committed to " + target);
        }
        manifest.set("files", files);
        try {
            Files.write(staging.resolve(ModelFormat.MANIFEST), JSON.writeValueAsBytes(manifest),
                    StandardOpenOption.CREATE_NEW);
            // Contents first, then the directories holding their names: after a power cut the renamed
            // directory must not hold empty or missing files.
            try (Stream<Path> all = Files.walk(staging)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    force(p);
                }
            }
        } catch (IOException e) {
            throw failure("writing and flushing " + staging, e);
        }
        Path backup = null;
        try {
            if (Files.exists(target)) {
                backup = target.resolveSibling("." + target.getFileName() + ModelFormat.BACKUP_INFIX
                        + UUID.randomUUID());
                move(target, backup);
            }
            move(staging, target);
        } catch (Throwable t) {
            if (backup != null && !Files.exists(target)) {
                try {
                    move(backup, target);
                } catch (IOException undo) {
                    t.addSuppressed(undo);
                }
            }
            if (t instanceof IOException e) {
                throw failure("moving it into place", e);
            }
            throw t;
        }
        committed = true;
        force(target.getParent());
        if (backup != null) {
            deleteTree(backup);
        }
        LOG.info("Model written to {}", target);
    }

    /** Removes the staging directory if the model was not committed. */
    @Override
    public void close() {
        if (!committed) {
            deleteTree(staging);
        }
    }

    private IOException failure(String step, IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new IOException("Cannot save model " + target + ": " + reason + ", while " + step
                + "; the previous model, if any, is unchanged", e);
    }

    /**
     * Puts back a previous model that a killed commit left aside, and removes leftovers of killed saves:
     * staging directories of processes no longer running and set-aside previous models.
     */
    private void recoverInterruptedSave() throws IOException {
        if (!Files.exists(target)) {
            Optional<Path> backup = ModelFormat.interruptedBackup(target);
            if (backup.isPresent()) {
                LOG.warn("Model {} was missing after an interrupted save; restoring the previous model from {}",
                        target, backup.get());
                move(backup.get(), target);
            }
        }
        String name = target.getFileName().toString();
        String stagingPrefix = "." + name + ModelFormat.STAGING_INFIX;
        String backupPrefix = "." + name + ModelFormat.BACKUP_INFIX;
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), p -> {
            String n = p.getFileName().toString();
            return n.startsWith(stagingPrefix) || n.startsWith(backupPrefix);
        })) {
            for (Path p : siblings) {
                String n = p.getFileName().toString();
                boolean stale = n.startsWith(stagingPrefix) ? !ownerAlive(n.substring(stagingPrefix.length()))
                        : Files.exists(target);
                if (stale) {
                    leftovers.add(p);
                }
            }
        }
        for (Path p : leftovers) {
            LOG.info("Removing {}, left by an interrupted save", p);
            deleteTree(p);
        }
    }

    /** Whether the process whose id starts a staging suffix ({@code <pid>-<uuid>}) is still running. */
    private static boolean ownerAlive(String suffix) {
        int dash = suffix.indexOf('-');
        try {
            long pid = Long.parseLong(dash < 0 ? suffix : suffix.substring(0, dash));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not named by this writer: leave it alone
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(from, to);
        }
    }

    /** Flushes a file, or a directory's entries where the platform allows it (not on Windows). */
    private static void force(Path p) throws IOException {
        boolean dir = Files.isDirectory(p);
        try (FileChannel ch = FileChannel.open(p, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!dir) {
                throw e;
            }
        }
    }

    /** Deletes a directory tree, its manifest first so that a half-deleted model never looks complete. */
    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(ModelFormat.MANIFEST));
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not remove temporary directory {}: {}", dir, e.getMessage());
        }
    }
}
