package dev.anomalysdk.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a custom dataset from plain folders: a folder of normal images, and optionally a folder of anomalous
 * images, a folder of their masks (matched by stem, {@code <stem>_mask.*} or {@code <stem>.*}), a folder of
 * normal test images, and a fraction of the normal images held out (randomly, with a seed) for testing.
 *
 * <p>Relative folders are resolved against the root passed to {@link #read(Path, String)}; the only
 * category is the configured name. Ids are {@code <folder name>/<file name>}, e.g. {@code good/001.png};
 * anomalous samples have the anomalous folder's name as defect type. Immutable and stateless.
 *
 * <pre>{@code
 * DatasetReader r = FolderReader.builder(Path.of("good")).abnormal(Path.of("defects"))
 *         .masks(Path.of("masks")).normalTestFraction(0.2).build();
 * DatasetSplit split = r.read(Path.of("/data/my_part"), "folder");
 * }</pre>
 */
public final class FolderReader implements DatasetReader {
    private static final Logger LOG = LoggerFactory.getLogger(FolderReader.class);

    private final String category;
    private final Path normal;
    private final Path abnormal;
    private final Path masks;
    private final Path normalTest;
    private final double normalTestFraction;
    private final long seed;

    private FolderReader(Builder b) {
        this.category = b.category;
        this.normal = b.normal;
        this.abnormal = b.abnormal;
        this.masks = b.masks;
        this.normalTest = b.normalTest;
        this.normalTestFraction = b.normalTestFraction;
        this.seed = b.seed;
    }

    /**
     * @param normal the folder of normal images (absolute, or relative to the root given to {@code read})
     * @return a builder
     */
    public static Builder builder(Path normal) {
        return new Builder(normal);
    }

    @Override
    public String name() {
        return "folder";
    }

    @Override
    public List<String> categories(Path root) {
        return List.of(category);
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        if (!this.category.equals(category)) {
            throw new IllegalArgumentException("This folder reader has one category, '" + this.category + "', not '"
                    + category + "'");
        }
        Path normalDir = DatasetFiles.requireDir(root.resolve(normal), "Normal image folder");
        List<Sample> normals = samples(normalDir, false, null);
        if (normals.isEmpty()) {
            throw new IOException("No images in the normal folder " + normalDir);
        }
        List<Sample> train = new ArrayList<>(normals);
        List<Sample> test = new ArrayList<>();
        if (normalTestFraction > 0) {
            List<Sample> shuffled = new ArrayList<>(normals);
            Collections.shuffle(shuffled, new Random(seed));
            int k = (int) Math.min(Math.round(normalTestFraction * normals.size()), normals.size() - 1L);
            Set<Sample> held = Collections.newSetFromMap(new IdentityHashMap<>());
            held.addAll(shuffled.subList(0, k));
            train.removeIf(held::contains);
            normals.stream().filter(held::contains).forEach(test::add);
        }
        if (normalTest != null) {
            test.addAll(samples(DatasetFiles.requireDir(root.resolve(normalTest), "Normal test folder"), false, null));
        }
        if (abnormal != null) {
            Path abnormalDir = DatasetFiles.requireDir(root.resolve(abnormal), "Anomalous image folder");
            Path maskDir = masks == null ? null : DatasetFiles.requireDir(root.resolve(masks), "Mask folder");
            test.addAll(samples(abnormalDir, true, maskDir));
        }
        Comparator<Sample> byId = Comparator.comparing(Sample::id);
        test.sort(Comparator.comparing(Sample::anomalous).thenComparing(byId));
        return new DatasetSplit(this.category, train, List.of(), test);
    }

    private List<Sample> samples(Path dir, boolean anomalous, Path maskDir) throws IOException {
        String folder = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
        Map<String, List<Path>> maskIndex = maskDir == null ? Map.of() : DatasetFiles.indexByStem(maskDir);
        List<Sample> out = new ArrayList<>();
        int missing = 0;
        for (Path image : DatasetFiles.listImages(dir)) {
            String id = folder + "/" + image.getFileName();
            if (!anomalous) {
                out.add(Sample.ofFile(id, image, false, "good", null));
                continue;
            }
            Path mask = maskDir == null ? null
                    : DatasetFiles.findMask(maskIndex, DatasetFiles.stem(image), List.of("_mask", ""));
            if (maskDir != null && mask == null) {
                missing++;
            }
            out.add(Sample.ofFile(id, image, true, folder, mask));
        }
        if (missing > 0) {
            LOG.warn("Folder dataset '{}': {} anomalous image(s) in {} have no mask in {}", category, missing, dir, maskDir);
        }
        return out;
    }

    /** Builds a {@link FolderReader}. */
    public static final class Builder {
        private final Path normal;
        private String category = "folder";
        private Path abnormal;
        private Path masks;
        private Path normalTest;
        private double normalTestFraction;
        private long seed = 42;

        private Builder(Path normal) {
            this.normal = Objects.requireNonNull(normal, "normal");
        }

        /** @param category the category name reported (default {@code folder}) */
        public Builder category(String category) {
            TreeLayout.checkCategoryName(category);
            this.category = category;
            return this;
        }

        /** @param abnormal a folder of anomalous test images */
        public Builder abnormal(Path abnormal) {
            this.abnormal = abnormal;
            return this;
        }

        /** @param masks a folder of masks of the anomalous images, matched by stem */
        public Builder masks(Path masks) {
            this.masks = masks;
            return this;
        }

        /** @param normalTest a folder of normal test images */
        public Builder normalTest(Path normalTest) {
            this.normalTest = normalTest;
            return this;
        }

        /**
         * @param fraction share of the normal images moved to the test set, in [0, 1) (default 0; at least
         *     one image always stays for training)
         */
        public Builder normalTestFraction(double fraction) {
            if (!(fraction >= 0 && fraction < 1)) {
                throw new IllegalArgumentException("normalTestFraction must be in [0, 1): " + fraction);
            }
            this.normalTestFraction = fraction;
            return this;
        }

        /** @param seed the seed of the hold-out draw (default 42) */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the reader */
        public FolderReader build() {
            if (masks != null && abnormal == null) {
                throw new IllegalArgumentException("A mask folder needs an anomalous image folder");
            }
            return new FolderReader(this);
        }
    }
}
