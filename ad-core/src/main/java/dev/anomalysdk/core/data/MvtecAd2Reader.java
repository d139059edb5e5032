package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads MVTec AD 2:
 *
 * <pre>
 * root/{category}/train/good/*.png
 * root/{category}/validation/good/*.png          (the validation split: normal images only)
 * root/{category}/test_public/{good,bad}/*.png
 * root/{category}/test_public/ground_truth/bad/{stem}_mask.png
 * </pre>
 *
 * <p>The private test sets ({@code test_private*}) have no ground truth and are not read. Ids are relative
 * to the split folder ({@code good/000_regular.png}, {@code bad/001_overexposed.png}). Stateless.
 */
public final class MvtecAd2Reader implements DatasetReader {
    private static final TreeLayout LAYOUT = new TreeLayout("mvtec_ad2", "train/good", "validation/good",
            "test_public", "good", "test_public/ground_truth", List.of("_mask", ""));

    /** Creates the reader. */
    public MvtecAd2Reader() {}

    @Override
    public String name() {
        return "mvtec_ad2";
    }

    @Override
    public List<String> categories(Path root) throws IOException {
        return LAYOUT.categories(root);
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        return LAYOUT.read(root, category);
    }
}
