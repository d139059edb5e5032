package dev.anomalysdk.core.persist;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/** Constants and checks of the model directory format shared by {@link ModelWriter} and {@link ModelReader}. */
public final class ModelFormat {
    /** Version written by this SDK; readers refuse newer versions. */
    public static final int VERSION = 1;
    /** Value of the manifest's {@code format} field. */
    public static final String FORMAT_NAME = "anomaly-sdk-model";
    /** Name of the manifest file. */
    public static final String MANIFEST = "manifest.json";
    /** Folder holding tensors and blobs. */
    public static final String FILES_DIR = "files";
    /** Largest model file read: the largest Java byte array. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    /** Infix of the hidden sibling a save writes into: {@code .<model>.writing-<pid>-<uuid>}. */
    static final String STAGING_INFIX = ".writing-";
    /** Infix of the hidden sibling the previous model is moved to during a commit: {@code .<model>.previous-<uuid>}. */
    static final String BACKUP_INFIX = ".previous-";

    private ModelFormat() {}

    /** Rejects names that could escape the model directory. */
    static void checkName(String name) {
        String problem = nameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException("Invalid model file name '" + name + "': " + problem);
        }
    }

    /**
     * @return why a model file name is refused, or {@code null} when it is a plain name inside {@code files/}
     */
    static String nameProblem(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        if (name.startsWith("/") || name.startsWith("\\") || name.matches("[A-Za-z]:.*")) {
            return "it is an absolute path";
        }
        if (name.contains("..")) {
            return "it contains '..'";
        }
        if (name.contains("/") || name.contains("\\")) {
            return "it contains a path separator";
        }
        if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            return "only letters, digits, '_', '.' and '-' are allowed (at most 128, not starting with '.')";
        }
        return null;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The previous model left aside by a commit that was interrupted (process killed) between moving the old
     * model away and moving the new one in: such a sibling is complete when it still has its manifest, which
     * is deleted first when the backup is discarded.
     *
     * @param target a model directory that does not exist
     * @return the most recent complete backup of {@code target}, if any
     */
    static Optional<Path> interruptedBackup(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || target.getFileName() == null) {
            return Optional.empty();
        }
        String prefix = "." + target.getFileName() + BACKUP_INFIX;
        Path best = null;
        FileTime bestTime = null;
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, p -> p.getFileName().toString()
                .startsWith(prefix))) {
            for (Path p : siblings) {
                if (Files.isRegularFile(p.resolve(MANIFEST))) {
                    FileTime t = Files.getLastModifiedTime(p);
                    if (bestTime == null || t.compareTo(bestTime) > 0) {
                        best = p;
                        bestTime = t;
                    }
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
