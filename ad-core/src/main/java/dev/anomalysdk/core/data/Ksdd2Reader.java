package dev.anomalysdk.core.data;

import dev.anomalysdk.core.ImageData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads KolektorSDD2, a single-category dataset:
 *
 * <pre>
 * root/train/NNNNN.png + NNNNN_GT.png
 * root/test/NNNNN.png  + NNNNN_GT.png
 * </pre>
 *
 * <p>An image is anomalous when its {@code _GT} mask has any non-zero pixel (so every mask is decoded when
 * the split is read). The training set holds the training images with an empty mask only; the anomalous
 * training images are left out and their number is logged. The test set holds every test image; normal
 * samples carry no mask. The only category is {@value #CATEGORY}; ids are file names ({@code 10000.png}).
 * Stateless.
 */
public final class Ksdd2Reader implements DatasetReader {
    /** The name of the single category. */
    public static final String CATEGORY = "ksdd2";

    private static final Logger LOG = LoggerFactory.getLogger(Ksdd2Reader.class);

    /** Creates the reader. */
    public Ksdd2Reader() {}

    @Override
    public String name() {
        return "ksdd2";
    }

    @Override
    public List<String> categories(Path root) throws IOException {
        DatasetFiles.requireDir(root, "Dataset root");
        DatasetFiles.requireDir(root.resolve("train"), "KolektorSDD2 training folder");
        return List.of(CATEGORY);
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        if (!CATEGORY.equals(category)) {
            throw new IllegalArgumentException("KolektorSDD2 has one category, '" + CATEGORY + "', not '" + category + "'");
        }
        DatasetFiles.requireDir(root, "Dataset root");
        Path trainDir = DatasetFiles.requireDir(root.resolve("train"), "KolektorSDD2 training folder");
        List<Sample> trainAll = labelled(trainDir);
        List<Sample> train = new ArrayList<>();
        for (Sample s : trainAll) {
            if (!s.anomalous()) {
                train.add(Sample.ofFile(s.id(), s.imagePath().orElseThrow(), false, "good", null));
            }
        }
        int excluded = trainAll.size() - train.size();
        if (train.isEmpty()) {
            throw new IOException("No normal training images (with an empty _GT mask) in " + trainDir);
        }
        if (excluded > 0) {
            LOG.info("KolektorSDD2: excluded {} anomalous training image(s) of {} in {}", excluded, trainAll.size(),
                    trainDir);
        }
        Path testDir = root.resolve("test");
        List<Sample> test = Files.isDirectory(testDir) ? labelled(testDir) : List.of();
        if (test.isEmpty()) {
            LOG.warn("KolektorSDD2: no test images in {}", testDir);
        }
        return new DatasetSplit(CATEGORY, train, List.of(), test);
    }

    private static List<Sample> labelled(Path dir) throws IOException {
        List<Path> files = DatasetFiles.listImages(dir);
        Map<String, List<Path>> index = DatasetFiles.indexByStem(dir);
        List<Sample> out = new ArrayList<>();
        for (Path image : files) {
            String stem = DatasetFiles.stem(image);
            if (stem.toLowerCase(Locale.ROOT).endsWith("_gt")) {
                continue;
            }
            Path gt = DatasetFiles.findMask(index, stem, List.of("_GT"));
            if (gt == null) {
                throw new IOException("KolektorSDD2 image " + image + " has no mask " + stem + "_GT.png");
            }
            boolean anomalous = anyNonZero(ImageFiles.read(gt));
            out.add(Sample.ofFile(DatasetFiles.relativeId(dir, image), image, anomalous, anomalous ? "bad" : "good",
                    anomalous ? gt : null));
        }
        return out;
    }

    private static boolean anyNonZero(ImageData mask) {
        for (float v : mask.pixelsView()) {
            if (v > 0f) {
                return true;
            }
        }
        return false;
    }
}
