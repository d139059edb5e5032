package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Reads MVTec AD, MPDD and any dataset in the same layout:
 *
 * <pre>
 * root/{category}/train/good/*.png
 * root/{category}/test/good/*.png
 * root/{category}/test/{defect}/*.png
 * root/{category}/ground_truth/{defect}/{stem}_mask.png   (or {stem}.png)
 * </pre>
 *
 * <p>Sample ids are relative to the split folder ({@code good/000.png} in train, {@code crack/001.png} in
 * test); the defect type is the folder name. An anomalous image without mask is kept (no mask; one warning
 * per category); masks without an image are ignored. The validation set is empty. Stateless.
 */
public final class MvtecReader implements DatasetReader {
    private final String name;
    private final TreeLayout layout;

    /** A reader named {@code mvtec}. */
    public MvtecReader() {
        this("mvtec");
    }

    /**
     * A reader for another dataset in MVTec layout.
     *
     * @param name the name it reports, e.g. {@code mpdd}
     */
    public MvtecReader(String name) {
        this.name = Objects.requireNonNull(name, "name");
        this.layout = new TreeLayout(name, "train/good", null, "test", "good", "ground_truth", List.of("_mask", ""));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> categories(Path root) throws IOException {
        return layout.categories(root);
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        return layout.read(root, category);
    }
}
