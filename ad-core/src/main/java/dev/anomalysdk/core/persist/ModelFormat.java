package dev.anomalysdk.core.persist;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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

    private ModelFormat() {}

    /** Rejects names that could escape the model directory. */
    static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new IllegalArgumentException("Invalid model file name: " + name);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
