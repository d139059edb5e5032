package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reads one dataset layout (MVTec AD, VisA, ...) into {@link DatasetSplit}s. */
public interface DatasetReader {
    /** @return the layout's name as used on the command line, e.g. {@code mvtec} */
    String name();

    /** @return the categories present under {@code root}, sorted */
    List<String> categories(Path root) throws IOException;

    /**
     * @return the category's split
     * @throws IOException naming the folder or file when the layout is missing or broken
     */
    DatasetSplit read(Path root, String category) throws IOException;
}
