package dev.anomalysdk.bench.predictions;

import dev.anomalysdk.core.data.CsvLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code scores.csv} file of a prediction directory: header {@code path,score,label}, one row per image,
 * {@code path} relative to the input root with '/' separators, {@code score} the raw image score,
 * {@code label} 1 (anomalous) or 0. Paths containing commas or quotes are quoted as RFC 4180 says.
 */
public final class ScoresCsv {
    /** The header line. */
    public static final String HEADER = "path,score,label";

    private ScoresCsv() {}

    /** One row. */
    public record Row(String path, float score, int label) { }

    /** Writes rows. */
    public static void write(Writer out, List<Row> rows) throws IOException {
        out.write(HEADER + "\n");
        for (Row r : rows) {
            out.write(CsvLines.quote(r.path()) + "," + r.score() + "," + r.label() + "\n");
        }
    }

    /**
     * Reads a file written by {@link #write} (or by any tool using the same header).
     *
     * @throws IOException naming the file and line when it is malformed
     */
    public static List<Row> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Predictions file not found: " + file);
        }
        List<Row> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null || !header.trim().replace("\uFEFF", "").equals(HEADER)) {
                throw new IOException(file + ": first line must be '" + HEADER + "', got '" + header + "'");
            }
            String line;
            int n = 1;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> f = CsvLines.split(line);
                if (f.size() != 3) {
                    throw new IOException(file + ":" + n + ": expected 3 fields (path,score,label), got " + f.size());
                }
                float score;
                try {
                    score = Float.parseFloat(f.get(1));
                } catch (NumberFormatException e) {
                    throw new IOException(file + ":" + n + ": score '" + f.get(1) + "' is not a number");
                }
                if (!Float.isFinite(score)) {
                    throw new IOException(file + ":" + n + ": score of " + f.get(0) + " is not finite: " + f.get(1));
                }
                String label = f.get(2).trim();
                int lab = label.isEmpty() ? -1 : switch (label) {
                    case "0", "false" -> 0;
                    case "1", "true" -> 1;
                    default -> throw new IOException(file + ":" + n + ": label must be 0 or 1, got '" + label + "'");
                };
                rows.add(new Row(f.get(0), score, lab));
            }
        }
        return rows;
    }
}
