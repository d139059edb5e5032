package dev.anomalysdk.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** File-system helpers shared by the dataset readers (package-private). */
final class DatasetFiles {
    private DatasetFiles() {}

    /** Throws naming the folder when it does not exist or is not a folder. */
    static Path requireDir(Path dir, String what) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(what + " not found (expected a folder): " + dir);
        }
        return dir;
    }

    /** Image files directly inside {@code dir} (hidden files skipped), sorted by file name. */
    static List<Path> listImages(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".") && ImageFiles.isImageName(n) && Files.isRegularFile(p);
            }).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IOException("Cannot list folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Names of the sub-folders of {@code dir} (hidden ones skipped), sorted. */
    static List<String> subdirs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IOException("Cannot list folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The file name without its last extension. */
    static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Image files of a folder keyed by lower-case stem; empty when the folder does not exist. */
    static Map<String, List<Path>> indexByStem(Path dir) throws IOException {
        Map<String, List<Path>> index = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return index;
        }
        for (Path p : listImages(dir)) {
            index.computeIfAbsent(stem(p).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(p);
        }
        return index;
    }

    /**
     * Finds the mask of an image stem: the first of {@code stem + suffix} for each suffix in order, any
     * image extension (PNG preferred), case-insensitive.
     */
    static Path findMask(Map<String, List<Path>> index, String imageStem, List<String> suffixes) {
        for (String suffix : suffixes) {
            List<Path> hits = index.get((imageStem + suffix).toLowerCase(Locale.ROOT));
            if (hits != null && !hits.isEmpty()) {
                for (Path p : hits) {
                    if (p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
                        return p;
                    }
                }
                return hits.get(0);
            }
        }
        return null;
    }

    /** {@code file} relative to {@code base} with '/' separators. */
    static String relativeId(Path base, Path file) {
        Path rel = base.relativize(file);
        StringBuilder sb = new StringBuilder();
        for (Path part : rel) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    /**
     * Resolves a relative path read from an annotation file, rejecting absolute paths and paths that leave
     * {@code base}.
     *
     * @param source the annotation file (for messages)
     */
    static Path safeResolve(Path base, String relative, Path source) throws IOException {
        if (relative == null || relative.isBlank()) {
            throw new IOException("Empty path in " + source);
        }
        String r = relative.replace('\\', '/');
        boolean absolute = r.startsWith("/") || (r.length() > 1 && r.charAt(1) == ':');
        boolean escapes = false;
        for (String part : r.split("/")) {
            if (part.equals("..")) {
                escapes = true;
            }
        }
        Path resolved = base.resolve(r).normalize();
        if (absolute || escapes || !resolved.startsWith(base.normalize())) {
            throw new IOException("Path '" + relative + "' in " + source
                    + " is absolute or leaves the dataset folder " + base);
        }
        return resolved;
    }

    /** Throws naming the file and the annotation that refers to it when an image file is missing. */
    static void requireFile(Path file, Path source) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("File " + file + " listed in " + source + " does not exist");
        }
    }
}
