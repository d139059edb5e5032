package dev.anomalysdk.bench.predictions;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.Sample;
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
import java.util.Set;

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

    /**
     * What a prediction run produced.
     *
     * @param images images scored
     * @param anomalous images at or above the threshold
     * @param modelSeconds wall time spent inside {@link Detector#predict(List)} (batches of 8), without
     *     reading images and writing files
     */
    public record Summary(int images, int anomalous, double modelSeconds) { }

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
        List<Item> items = new ArrayList<>(files.size());
        for (Path f : files) {
            items.add(new Item(relative(root, f), () -> ImageFiles.read(f)));
        }
        return write(detector, items, out, progress);
    }

    /**
     * Scores dataset samples and writes the same files as {@link #predict(Detector, Path, Path, ProgressListener)},
     * each under its sample id (for a category's test images: the path relative to its test folder), so that
     * {@link PredictionEvaluator} pairs them with the samples whatever the dataset layout.
     *
     * @param detector a fitted detector
     * @param samples samples with unique ids
     * @param out the prediction directory
     * @param progress progress sink
     * @return counts
     * @throws IOException naming an image that cannot be read
     */
    public static Summary predictSamples(Detector detector, List<Sample> samples, Path out,
            ProgressListener progress) throws IOException {
        List<Item> items = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            items.add(new Item(s.id(), () -> {
                try {
                    return s.loadImage();
                } catch (java.io.UncheckedIOException e) {
                    throw e.getCause();
                }
            }));
        }
        return write(detector, items, out, progress);
    }

    /** An image to score under a relative path. */
    private record Item(String path, ImageSource source) { }

    @FunctionalInterface
    private interface ImageSource {
        ImageData read() throws IOException;
    }

    private static Summary write(Detector detector, List<Item> items, Path out, ProgressListener progress)
            throws IOException {
        Files.createDirectories(out);
        List<ScoresCsv.Row> rows = new ArrayList<>();
        int anomalous = 0;
        long modelNanos = 0;
        for (int i = 0; i < items.size(); i += BATCH) {
            List<Item> chunk = items.subList(i, Math.min(items.size(), i + BATCH));
            List<ImageData> images = new ArrayList<>(chunk.size());
            for (Item f : chunk) {
                images.add(f.source().read());
            }
            long start = System.nanoTime();
            List<AnomalyResult> results = detector.predict(images);
            modelNanos += System.nanoTime() - start;
            for (int j = 0; j < chunk.size(); j++) {
                String rel = chunk.get(j).path();
                AnomalyResult r = results.get(j);
                boolean label = r.anomalous().orElse(false);
                anomalous += label ? 1 : 0;
                rows.add(new ScoresCsv.Row(rel, r.score(), label ? 1 : 0));
                writeMap(out.resolve("maps").resolve(withoutExtension(rel) + ".npy"), r.map());
                AnomalyMap normalized = detector.calibration().normalize(r.map());
                ImageFiles.writePng(normalized.overlay(images.get(j), 0f, 1f, 0.5f),
                        out.resolve("overlays").resolve(withoutExtension(rel) + ".png"));
            }
            progress.update("predicting", Math.min(items.size(), i + BATCH), items.size());
        }
        Path csv = out.resolve("scores.csv");
        Path tmp = out.resolve(".scores.csv.tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            ScoresCsv.write(w, rows);
        }
        Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(rows.size(), anomalous, modelNanos / 1e9);
    }

    private static void writeMap(Path file, AnomalyMap map) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(tmp))) {
            Npy.write(o, map.valuesView(), map.height(), map.width());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * @return the image files under a folder (sorted by relative path; symbolic links followed, hidden files
     *     and {@code ground_truth} folders skipped), or the file itself
     * @throws IOException naming the input when it holds no images, or a link that loops
     */
    public static List<Path> imagesUnder(Path input) throws IOException {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new IOException("Input not found: " + input);
        }
        List<Path> out = ImageFiles.findImages(input, Set.of("ground_truth"));
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

    /** @return the relative path without its extension ({@code crack/001.png} gives {@code crack/001}) */
    public static String withoutExtension(String rel) {
        int slash = rel.lastIndexOf('/');
        int dot = rel.lastIndexOf('.');
        return dot > slash ? rel.substring(0, dot) : rel;
    }
}
