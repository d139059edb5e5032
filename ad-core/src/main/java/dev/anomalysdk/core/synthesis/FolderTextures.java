package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.ImageFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Texture photographs from a folder, searched recursively: point it at the Describable Textures Dataset's
 * {@code dtd/images} folder (DRAEM's anomaly source, {@code images/<category>/*.jpg}) or at any folder of
 * images. Each call picks one file uniformly, reads it and resizes it bilinearly to the requested size
 * (as DRAEM resizes DTD images to the training resolution). Files are listed once, sorted by path, so the
 * same seed picks the same files on every machine.
 */
public final class FolderTextures implements TextureSource {
    /** File name extensions taken as images (lower case). */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "tif", "tiff");

    private final Path folder;
    private final List<Path> files;

    private FolderTextures(Path folder, List<Path> files) {
        this.folder = folder;
        this.files = files;
    }

    /**
     * Lists the images under a folder.
     *
     * @param folder a folder containing images at any depth
     * @return the source
     * @throws IOException when the folder is missing, unreadable, or holds no images (the message names it)
     */
    public static FolderTextures of(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("Anomaly source folder " + folder.toAbsolutePath() + " does not exist or is not a "
                    + "folder");
        }
        List<Path> files = ImageFiles.findImages(folder, Set.of());
        if (files.isEmpty()) {
            throw new IOException("Anomaly source folder " + folder.toAbsolutePath() + " contains no images ("
                    + String.join(", ", EXTENSIONS.stream().sorted().toList()) + "); for DTD point it at dtd/images");
        }
        return new FolderTextures(folder, files);
    }

    /** @return the image files, sorted */
    public List<Path> files() {
        return files;
    }

    @Override
    public ImageData texture(int height, int width, Random random) {
        Path file = files.get(random.nextInt(files.size()));
        ImageData image;
        try {
            image = ImageFiles.read(file).toRgb();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read anomaly source image " + file + ": " + e.getMessage(), e);
        }
        float[] resized = Raster.resize(image.pixelsView(), 3, image.height(), image.width(), height, width);
        return new ImageData(3, height, width, resized, file.toString());
    }

    @Override
    public String describe() {
        return "folder " + folder.toAbsolutePath() + " (" + files.size() + " images)";
    }

    @Override
    public String toString() {
        return "FolderTextures[" + describe() + "]";
    }
}
