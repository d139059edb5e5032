package dev.anomalysdk.bench.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finished pairs of a benchmark: one JSON file per (detector, category) under {@code OUT/runs/}, each
 * written to a temporary file and moved into place atomically, so an interruption leaves either the whole
 * result or none.
 */
final class RunStore {
    private static final Logger LOG = LoggerFactory.getLogger(RunStore.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;

    RunStore(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    Path file(String detector, String category) {
        return directory.resolve(safe(detector) + "__" + safe(category) + ".json");
    }

    /** @return the stored result of the pair, or null when it has not finished */
    PairResult read(String detector, String category) throws IOException {
        Path f = file(detector, category);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        PairResult r;
        try {
            r = JSON.readValue(f.toFile(), PairResult.class);
        } catch (IOException e) {
            throw new IOException("Cannot read the stored benchmark result " + f + ": " + e.getMessage()
                    + " (delete it to run the pair again)", e);
        }
        if (!detector.equals(r.detector()) || !category.equals(r.category())) {
            throw new IOException(f + " holds " + r.detector() + "/" + r.category() + ", not " + detector + "/"
                    + category);
        }
        return r;
    }

    /** Stores a finished pair atomically. */
    void write(PairResult r) throws IOException {
        writeJsonAtomically(r, file(r.detector(), r.category()));
    }

    /** Moves the stored results to {@code runs.previous-TIMESTAMP} beside the directory. */
    void setAside() throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
        Path target = directory.resolveSibling(directory.getFileName() + ".previous-" + stamp);
        Files.move(directory, target, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("Earlier results moved to {}", target);
    }

    static void writeJsonAtomically(Object value, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), value);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return the name with characters other than letters, digits, '_', '-' and '.' replaced by '_' */
    static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
