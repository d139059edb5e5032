package dev.anomalysdk.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads VisA in its raw layout, with the split given by a CSV file (by default {@code split_csv/1cls.csv},
 * columns {@code object,split,label,image,mask}, paths relative to the root):
 *
 * <pre>
 * root/split_csv/1cls.csv
 * root/{category}/Data/Images/{Normal,Anomaly}/*.JPG
 * root/{category}/Data/Masks/Anomaly/*.png      (not binary: any non-zero value is a defect)
 * </pre>
 *
 * <p>Ids are relative to {@code {category}/Data/Images/} (e.g. {@code Anomaly/000.JPG}); anomalous samples
 * have defect type {@code bad}. Anomalous rows in the training split are skipped with a warning. Paths that
 * are absolute or leave the root are rejected. Stateless.
 */
public final class VisaReader implements DatasetReader {
    private static final Logger LOG = LoggerFactory.getLogger(VisaReader.class);
    private static final String[] COLUMNS = {"object", "split", "label", "image", "mask"};

    private final String splitCsv;

    /** A reader using {@code split_csv/1cls.csv}. */
    public VisaReader() {
        this("split_csv/1cls.csv");
    }

    /**
     * A reader using another split file with the same columns.
     *
     * @param splitCsv the CSV path relative to the dataset root
     */
    public VisaReader(String splitCsv) {
        this.splitCsv = Objects.requireNonNull(splitCsv, "splitCsv");
    }

    @Override
    public String name() {
        return "visa";
    }

    @Override
    public List<String> categories(Path root) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (String[] row : rows(root)) {
            names.add(row[0]);
        }
        return List.copyOf(names);
    }

    @Override
    public DatasetSplit read(Path root, String category) throws IOException {
        TreeLayout.checkCategoryName(category);
        Path csv = root.resolve(splitCsv);
        List<Sample> train = new ArrayList<>();
        List<Sample> test = new ArrayList<>();
        int skipped = 0;
        boolean found = false;
        Path imagesBase = root.resolve(category).resolve("Data").resolve("Images").normalize();
        for (String[] row : rows(root)) {
            if (!row[0].equals(category)) {
                continue;
            }
            found = true;
            String split = row[1].toLowerCase(Locale.ROOT);
            String label = row[2].toLowerCase(Locale.ROOT);
            boolean anomalous;
            if (label.equals("normal") || label.equals("good")) {
                anomalous = false;
            } else if (label.equals("anomaly") || label.equals("anomalous") || label.equals("bad")) {
                anomalous = true;
            } else {
                throw new IOException("Unknown label '" + row[2] + "' for " + row[3] + " in " + csv);
            }
            Path image = DatasetFiles.safeResolve(root, row[3], csv);
            DatasetFiles.requireFile(image, csv);
            Path mask = null;
            if (anomalous && !row[4].isBlank()) {
                mask = DatasetFiles.safeResolve(root, row[4], csv);
                DatasetFiles.requireFile(mask, csv);
            }
            String id = image.startsWith(imagesBase)
                    ? DatasetFiles.relativeId(imagesBase, image) : DatasetFiles.relativeId(root.normalize(), image);
            Sample s = Sample.ofFile(id, image, anomalous, anomalous ? "bad" : "good", mask);
            if (split.equals("train")) {
                if (anomalous) {
                    skipped++;
                } else {
                    train.add(s);
                }
            } else if (split.equals("test")) {
                test.add(s);
            } else {
                throw new IOException("Unknown split '" + row[1] + "' for " + row[3] + " in " + csv);
            }
        }
        if (!found) {
            throw new IOException("Category '" + category + "' does not appear in " + csv);
        }
        if (train.isEmpty()) {
            throw new IOException("No normal training images for category '" + category + "' in " + csv);
        }
        if (skipped > 0) {
            LOG.warn("VisA category '{}': skipped {} anomalous row(s) of the training split in {}", category, skipped,
                    csv);
        }
        train.sort((a, b) -> a.id().compareTo(b.id()));
        test.sort((a, b) -> a.id().compareTo(b.id()));
        return new DatasetSplit(category, train, List.of(), test);
    }

    /** The CSV rows as {object, split, label, image, mask}, header removed. */
    private List<String[]> rows(Path root) throws IOException {
        DatasetFiles.requireDir(root, "Dataset root");
        Path csv = root.resolve(splitCsv);
        if (!Files.isRegularFile(csv)) {
            throw new IOException("VisA split file not found: " + csv);
        }
        List<String[]> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null) {
                throw new IOException("Empty VisA split file: " + csv);
            }
            List<String> names = CsvLines.split(header.replace("\uFEFF", ""));
            int[] col = new int[COLUMNS.length];
            for (int i = 0; i < COLUMNS.length; i++) {
                col[i] = -1;
                for (int j = 0; j < names.size(); j++) {
                    if (names.get(j).trim().equalsIgnoreCase(COLUMNS[i])) {
                        col[i] = j;
                    }
                }
                if (col[i] < 0) {
                    throw new IOException("VisA split file " + csv + " has no column '" + COLUMNS[i]
                            + "' (header: " + header + ")");
                }
            }
            String line;
            int lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> cells = CsvLines.split(line);
                String[] row = new String[COLUMNS.length];
                for (int i = 0; i < COLUMNS.length; i++) {
                    if (col[i] >= cells.size()) {
                        if (i == 4) {
                            row[i] = "";
                            continue;
                        }
                        throw new IOException("Line " + lineNo + " of " + csv + " has " + cells.size() + " columns");
                    }
                    row[i] = cells.get(col[i]).trim();
                }
                out.add(row);
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(csv.toString())) {
                throw e;
            }
            throw new IOException("Cannot read VisA split file " + csv + ": " + e.getMessage(), e);
        }
        return out;
    }
}
