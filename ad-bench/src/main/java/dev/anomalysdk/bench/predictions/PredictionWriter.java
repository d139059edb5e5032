package dev.anomalysdk.bench.predictions;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.ImageFiles;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs a detector over a file or folder and writes a prediction directory:
 * {@code scores.csv} (see {@link ScoresCsv}), {@code maps/<path without extension>.npy} (float32 raw map at
 * the image's height x width) and {@code overlays/<path without extension>.png} (heat map of the
 * normalized map over the image; red = at or above the threshold).
 */
public final class PredictionWriter {
    /** File extensions treated as images. */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff");
    private static final int BATCH = 8;

    private PredictionWriter() {}

    /** What a prediction run produced. */
    public record Summary(int images, int anomalous) { }

    /**
     * @param detector a fitted detector
     * @param input an image file or a folder searched recursively (folders named {@code ground_truth} are skipped)
     * @param out the prediction directory (created; existing predictions of the same paths are replaced)
     * @param progress progress sink
     * @return counts
     * @throws IOException naming the input when it holds no images, or naming a file that cannot be read
     */
    public static Summary predict(Detector detector, Path input, Path out, ProgressListener progress)
            throws IOException {
        List<Path> files = imagesUnder(input);
        Path root = Files.isDirectory(input) ? input : input.toAbsolutePath().getParent();
        Files.createDirectories(out);
        List<ScoresCsv.Row> rows = new ArrayList<>();
        int anomalous = 0;
        for (int i = 0; i < files.size(); i += BATCH) {
            List<Path> chunk = files.subList(i, Math.min(files.size(), i + BATCH));
            List<ImageData> images = new ArrayList<>(chunk.size());
            for (Path f : chunk) {
                images.add(ImageFiles.read(f));
            }
            List<AnomalyResult> results = detector.predict(images);
            for (int j = 0; j < chunk.size(); j++) {
                String rel = relative(root, chunk.get(j));
                AnomalyResult r = results.get(j);
                boolean label = r.anomalous().orElse(false);
                anomalous += label ? 1 : 0;
                rows.add(new ScoresCsv.Row(rel, r.score(), label ? 1 : 0));
                writeMap(out.resolve("maps").resolve(withoutExtension(rel) + ".npy"), r.map());
                AnomalyMap normalized = detector.calibration().normalize(r.map());
                ImageFiles.writePng(normalized.overlay(images.get(j), 0f, 1f, 0.5f),
                        out.resolve("overlays").resolve(withoutExtension(rel) + ".png"));
            }
            progress.update("predicting", Math.min(files.size(), i + BATCH), files.size());
        }
        Path csv = out.resolve("scores.csv");
        Path tmp = out.resolve(".scores.csv.tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            ScoresCsv.write(w, rows);
        }
        Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(rows.size(), anomalous);
    }

    private static void writeMap(Path file, AnomalyMap map) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(tmp))) {
            Npy.write(o, map.valuesView(), map.height(), map.width());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return the image files under a folder (sorted by relative path), or the file itself */
    public static List<Path> imagesUnder(Path input) throws IOException {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new IOException("Input not found: " + input);
        }
        List<Path> out;
        try (Stream<Path> all = Files.walk(input)) {
            out = all.filter(Files::isRegularFile)
                    .filter(p -> IMAGE_EXTENSIONS.contains(extension(p)))
                    .filter(p -> !input.relativize(p).toString().replace('\\', '/').matches("(.*/)?ground_truth/.*"))
                    .sorted((a, b) -> relative(input, a).compareTo(relative(input, b)))
                    .toList();
        }
        if (out.isEmpty()) {
            throw new IOException("No images (" + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList())
                    + ") found under " + input);
        }
        return out;
    }

    static String relative(Path root, Path file) {
        return root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString()
                .replace('\\', '/');
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** @return the relative path without its extension ({@code crack/001.png} gives {@code crack/001}) */
    public static String withoutExtension(String rel) {
        int slash = rel.lastIndexOf('/');
        int dot = rel.lastIndexOf('.');
        return dot > slash ? rel.substring(0, dot) : rel;
    }
}
