package dev.anomalysdk.core.data;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One image of a dataset with what is known about it: whether it is anomalous, its defect type, and its
 * ground-truth mask if any. Images are read from disk when asked ({@link #loadImage()}), so a dataset of
 * thousands of images costs no memory until used; in-memory images are supported for embedding.
 */
public final class Sample {
    private final String id;
    private final Path image;
    private final ImageData inMemory;
    private final boolean anomalous;
    private final String defectType;
    private final Path mask;
    private final Mask inMemoryMask;

    private Sample(String id, Path image, ImageData inMemory, boolean anomalous, String defectType, Path mask,
            Mask inMemoryMask) {
        this.id = Objects.requireNonNull(id, "id");
        this.image = image;
        this.inMemory = inMemory;
        this.anomalous = anomalous;
        this.defectType = defectType == null ? (anomalous ? "anomalous" : "good") : defectType;
        this.mask = mask;
        this.inMemoryMask = inMemoryMask;
    }

    /**
     * A sample stored in a file.
     *
     * @param id the path relative to the dataset split's root with '/' separators, e.g. {@code crack/001.png}
     * @param image the image file
     * @param anomalous whether the image shows a defect
     * @param defectType the defect folder name, or {@code good}
     * @param mask the ground-truth mask file, or {@code null}
     */
    public static Sample ofFile(String id, Path image, boolean anomalous, String defectType, Path mask) {
        return new Sample(id, Objects.requireNonNull(image, "image"), null, anomalous, defectType, mask, null);
    }

    /** A normal training image stored in a file, identified by its file name. */
    public static Sample normal(Path image) {
        return ofFile(image.getFileName().toString(), image, false, "good", null);
    }

    /**
     * An image already in memory (a camera frame, say).
     *
     * @param mask ground truth, or {@code null}
     */
    public static Sample ofImage(String id, ImageData image, boolean anomalous, Mask mask) {
        return new Sample(id, null, Objects.requireNonNull(image, "image"), anomalous, null, null, mask);
    }

    /** @return the identifier: the path relative to the split's root, e.g. {@code crack/001.png} */
    public String id() {
        return id;
    }

    /** @return the image file, if the sample lives on disk */
    public Optional<Path> imagePath() {
        return Optional.ofNullable(image);
    }

    /** @return the ground-truth mask file, if any */
    public Optional<Path> maskPath() {
        return Optional.ofNullable(mask);
    }

    /** @return whether the image shows a defect */
    public boolean anomalous() {
        return anomalous;
    }

    /** @return the defect type ({@code good} for normal images) */
    public String defectType() {
        return defectType;
    }

    /** @return whether a ground-truth mask is available */
    public boolean hasMask() {
        return mask != null || inMemoryMask != null;
    }

    /**
     * @return the decoded image
     * @throws UncheckedIOException naming the file when it cannot be read
     */
    public ImageData loadImage() {
        if (inMemory != null) {
            return inMemory;
        }
        try {
            return ImageFiles.read(image);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * @param height the image's height
     * @param width the image's width
     * @return the ground truth (any non-zero mask pixel is a defect); all-normal for a sample without mask
     * @throws UncheckedIOException naming both files when the mask is unreadable or of another size
     */
    public Mask loadMask(int height, int width) {
        if (inMemoryMask != null) {
            if (inMemoryMask.height() != height || inMemoryMask.width() != width) {
                throw new IllegalArgumentException("Mask of " + id + " is " + inMemoryMask.width() + "x"
                        + inMemoryMask.height() + " but the image is " + width + "x" + height);
            }
            return inMemoryMask;
        }
        if (mask == null) {
            return new Mask(height, width, new boolean[height * width]);
        }
        try {
            return ImageFiles.readMask(mask, height, width, image);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return image != null ? image.toString() : id;
    }
}
