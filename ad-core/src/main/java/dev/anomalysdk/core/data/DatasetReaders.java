package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Finds a {@link DatasetReader} by name or by looking at a dataset's folders. */
public final class DatasetReaders {
    /** Names accepted by {@link #byName(String)}. */
    public static final List<String> NAMES =
            List.of("mvtec", "mpdd", "visa", "mvtec_ad2", "btad", "ksdd2", "realiad", "realiad_sv");

    private DatasetReaders() {}

    /**
     * @param name one of {@link #NAMES} (case-insensitive; {@code -} may replace {@code _})
     * @return a new reader
     * @throws IllegalArgumentException listing the known names when the name is unknown (a {@code folder}
     *     dataset needs folders: use {@link FolderReader#builder(Path)})
     */
    public static DatasetReader byName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (n) {
            case "mvtec", "mvtec_ad" -> new MvtecReader();
            case "mpdd" -> new MvtecReader("mpdd");
            case "visa" -> new VisaReader();
            case "mvtec_ad2", "mvtecad2" -> new MvtecAd2Reader();
            case "btad", "btech" -> new BtadReader();
            case "ksdd2", "kolektorsdd2" -> new Ksdd2Reader();
            case "realiad", "real_iad" -> RealIadReader.of(false);
            case "realiad_sv" -> RealIadReader.of(true);
            case "folder" -> throw new IllegalArgumentException(
                    "The 'folder' layout needs its folders: build it with FolderReader.builder(...)");
            default -> throw new IllegalArgumentException(
                    "Unknown dataset layout '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /**
     * Guesses the layout of a dataset root from the folders present.
     *
     * @param root the dataset root (the folder holding the categories)
     * @return a reader for it
     * @throws IOException naming the root and listing what was looked for when nothing matches
     */
    public static DatasetReader detect(Path root) throws IOException {
        DatasetFiles.requireDir(root, "Dataset root");
        if (Files.isRegularFile(root.resolve("split_csv").resolve("1cls.csv"))) {
            return new VisaReader();
        }
        if (Files.isDirectory(root.resolve(RealIadReader.MULTI_VIEW))) {
            return RealIadReader.of(false);
        }
        if (Files.isDirectory(root.resolve(RealIadReader.SINGLE_VIEW))) {
            return RealIadReader.of(true);
        }
        if (Files.isDirectory(root.resolve("train")) && hasGroundTruthSuffix(root.resolve("train"))) {
            return new Ksdd2Reader();
        }
        List<String> subs = DatasetFiles.subdirs(root);
        for (String sub : subs) {
            Path cat = root.resolve(sub);
            if (Files.isDirectory(cat.resolve("test_public")) && Files.isDirectory(cat.resolve("train/good"))) {
                return new MvtecAd2Reader();
            }
        }
        for (String sub : subs) {
            if (Files.isDirectory(root.resolve(sub).resolve("train/ok"))) {
                return new BtadReader();
            }
        }
        for (String sub : subs) {
            if (Files.isDirectory(root.resolve(sub).resolve("train/good"))) {
                return new MvtecReader();
            }
        }
        String hint = Files.isDirectory(root.resolve("train/good")) || Files.isDirectory(root.resolve("train/ok"))
                ? "; " + root + " itself looks like one category: pass its parent folder" : "";
        throw new IOException("Cannot detect the dataset layout of " + root + ": looked for split_csv/1cls.csv (visa), "
                + RealIadReader.MULTI_VIEW + "/ or " + RealIadReader.SINGLE_VIEW + "/ (realiad), train/*_GT.png (ksdd2), "
                + "<category>/test_public/ (mvtec_ad2), <category>/train/ok/ (btad), <category>/train/good/ (mvtec)"
                + hint + ". For plain folders use FolderReader.");
    }

    private static boolean hasGroundTruthSuffix(Path dir) throws IOException {
        for (Path p : DatasetFiles.listImages(dir)) {
            if (DatasetFiles.stem(p).toLowerCase(Locale.ROOT).endsWith("_gt")) {
                return true;
            }
        }
        return false;
    }
}
