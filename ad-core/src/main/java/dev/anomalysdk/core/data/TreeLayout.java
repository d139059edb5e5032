package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder-tree layout shared by MVTec AD, MPDD, MVTec AD 2 and BTAD: a training folder of normal images,
 * an optional validation folder, a test folder with one sub-folder per defect type plus a normal one, and a
 * ground-truth folder mirroring the defect folders (package-private; immutable).
 *
 * @param readerName the reader's name, for messages
 * @param trainDir the training folder relative to the category, e.g. {@code train/good}
 * @param validationDir the validation folder relative to the category, or {@code null}
 * @param testDir the test folder relative to the category, e.g. {@code test}
 * @param normalFolder the name of the normal test sub-folder, e.g. {@code good}
 * @param gtDir the ground-truth folder relative to the category
 * @param maskSuffixes suffixes appended to an image stem to find its mask, in order of preference
 */
record TreeLayout(String readerName, String trainDir, String validationDir, String testDir, String normalFolder,
        String gtDir, List<String> maskSuffixes) {
    private static final Logger LOG = LoggerFactory.getLogger(TreeLayout.class);

    TreeLayout {
        maskSuffixes = List.copyOf(maskSuffixes);
    }

    /** Categories: sub-folders of {@code root} that hold a training folder, sorted. */
    List<String> categories(Path root) throws IOException {
        DatasetFiles.requireDir(root, "Dataset root");
        List<String> out = new ArrayList<>();
        for (String sub : DatasetFiles.subdirs(root)) {
            if (Files.isDirectory(root.resolve(sub).resolve(trainDir))) {
                out.add(sub);
            }
        }
        if (out.isEmpty()) {
            String hint = Files.isDirectory(root.resolve(trainDir))
                    ? " (" + root + " itself looks like a category: pass its parent folder as the root)" : "";
            throw new IOException("No " + readerName + " categories under " + root + ": looked for <category>/"
                    + trainDir + hint);
        }
        return out;
    }

    /** Reads one category. */
    DatasetSplit read(Path root, String category) throws IOException {
        Path catDir = categoryDir(root, category);
        Path train = DatasetFiles.requireDir(catDir.resolve(trainDir), "Training folder of category '" + category + "'");
        List<Sample> trainSamples = normals(train);
        if (trainSamples.isEmpty()) {
            throw new IOException("No training images in " + train);
        }
        List<Sample> validation = new ArrayList<>();
        if (validationDir != null && Files.isDirectory(catDir.resolve(validationDir))) {
            validation.addAll(normals(catDir.resolve(validationDir)));
        }
        List<Sample> test = new ArrayList<>();
        Path testRoot = catDir.resolve(testDir);
        Path gtRoot = catDir.resolve(gtDir);
        int withoutMask = 0;
        String example = null;
        if (!Files.isDirectory(testRoot)) {
            LOG.warn("{} category '{}': no test folder {}; the test set is empty", readerName, category, testRoot);
        } else {
            for (String sub : DatasetFiles.subdirs(testRoot)) {
                Path folder = testRoot.resolve(sub);
                if (folder.equals(gtRoot)) {
                    continue;
                }
                boolean normal = sub.equalsIgnoreCase(normalFolder);
                Map<String, List<Path>> masks = normal ? Map.of() : DatasetFiles.indexByStem(gtRoot.resolve(sub));
                for (Path image : DatasetFiles.listImages(folder)) {
                    String id = DatasetFiles.relativeId(testRoot, image);
                    if (normal) {
                        test.add(Sample.ofFile(id, image, false, "good", null));
                        continue;
                    }
                    Path mask = DatasetFiles.findMask(masks, DatasetFiles.stem(image), maskSuffixes);
                    if (mask == null) {
                        withoutMask++;
                        example = example == null ? image.toString() : example;
                    }
                    test.add(Sample.ofFile(id, image, true, sub, mask));
                }
            }
        }
        if (withoutMask > 0) {
            LOG.warn("{} category '{}': {} anomalous test image(s) have no ground-truth mask in {} (e.g. {})",
                    readerName, category, withoutMask, gtRoot, example);
        }
        LOG.debug("{} category '{}': {} train, {} validation, {} test images", readerName, category,
                trainSamples.size(), validation.size(), test.size());
        return new DatasetSplit(category, trainSamples, validation, test);
    }

    /** Normal images of a folder; ids relative to the folder's parent (the split root). */
    private static List<Sample> normals(Path folder) throws IOException {
        Path splitRoot = folder.getParent();
        List<Sample> out = new ArrayList<>();
        for (Path image : DatasetFiles.listImages(folder)) {
            out.add(Sample.ofFile(DatasetFiles.relativeId(splitRoot, image), image, false, "good", null));
        }
        return out;
    }

    /** The category folder, rejecting names that are not a single folder name. */
    static Path categoryDir(Path root, String category) throws IOException {
        checkCategoryName(category);
        DatasetFiles.requireDir(root, "Dataset root");
        return DatasetFiles.requireDir(root.resolve(category), "Category folder '" + category + "'");
    }

    /** Rejects blank names and names with separators or "..". */
    static void checkCategoryName(String category) {
        if (category == null || category.isBlank() || category.contains("/") || category.contains("\\")
                || category.equals("..") || category.equals(".")) {
            throw new IllegalArgumentException("Invalid category name: '" + category + "'");
        }
    }
}
