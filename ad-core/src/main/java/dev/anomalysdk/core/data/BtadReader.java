package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads BTAD (beanTech Anomaly Detection):
 *
 * <pre>
 * root/{01,02,03}/train/ok/*.bmp|png
 * root/{category}/test/{ok,ko}/*.bmp|png
 * root/{category}/ground_truth/ko/{stem}.png
 * </pre>
 *
 * <p>Ids are relative to the split folder ({@code ok/0000.bmp}, {@code ko/0001.bmp}); normal images have
 * defect type {@code good}, anomalous ones {@code ko}. Stateless.
 */
public final class BtadReader implements DatasetReader {
    private static final TreeLayout LAYOUT =
            new TreeLayout("btad", "train/ok", null, "test", "ok", "ground_truth", List.of("", "_mask"));

    /** Creates the reader. */
    public BtadReader() {}

    @Override
    public String name() {
        return "btad";
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
