package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.data.DatasetReader;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that name a dataset category, shared by the commands that read one. */
final class DatasetOptions {
    @Option(names = "--data", required = true, paramLabel = "ROOT", description = "Dataset root folder.")
    Path root;

    @Option(names = "--category", required = true, paramLabel = "C", description = "Category (sub-folder) name.")
    String category;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "FORMAT",
            description = "Dataset layout: auto, mvtec, mpdd, visa, mvtec_ad2, btad, ksdd2, realiad, realiad_sv "
                    + "(default: ${DEFAULT-VALUE}, guessed from the folders).")
    String format;

    DatasetSplit read() throws IOException {
        DatasetReader reader = format.equals("auto") ? DatasetReaders.detect(root) : DatasetReaders.byName(format);
        return reader.read(root, category);
    }
}
