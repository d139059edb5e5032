package dev.anomalysdk.memorybank.patchcore;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anomalysdk.core.persist.Npy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The official PatchCore outputs in {@code shared/parity/patchcore} (see its README: patchcore-inspection at
 * fcaa92f on a synthetic texture category with a seed-0 random ResNet-18 exported to TorchScript). Tests
 * using it are skipped when the folder is absent.
 */
final class ParityFixture {
    static final ObjectMapper JSON = new ObjectMapper();

    private ParityFixture() {}

    static Path dir() {
        String shared = System.getProperty("shared.dir", "../shared");
        Path d = Path.of(shared).resolve("parity").resolve("patchcore");
        assumeTrue(Files.isRegularFile(d.resolve("README.md")), "parity fixture not found at " + d.toAbsolutePath());
        return d;
    }

    static Path backbone() {
        return dir().resolve("resnet18_seed0_layer2_layer3.pt");
    }

    static Npy.Array npy(String file) throws IOException {
        byte[] b = Files.readAllBytes(dir().resolve(file));
        return Npy.read(new ByteArrayInputStream(b), file, b.length / 4L);
    }

    static Npy.Array npzFloats(String file, String entry) throws IOException {
        byte[] b = npzEntry(file, entry);
        return Npy.read(new ByteArrayInputStream(b), file + ":" + entry, b.length / 4L);
    }

    /** Reads a 1-D little-endian int64 {@code .npy} entry (the only other dtype the fixture uses). */
    static long[] npzLongs(String file, String entry) throws IOException {
        byte[] b = npzEntry(file, entry);
        int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'<i8'")) {
            throw new IOException(file + ":" + entry + " is not int64: " + header);
        }
        ByteBuffer bb = ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[bb.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getLong();
        }
        return out;
    }

    private static byte[] npzEntry(String file, String entry) throws IOException {
        try (ZipFile z = new ZipFile(dir().resolve(file).toFile())) {
            ZipEntry e = z.getEntry(entry + ".npy");
            if (e == null) {
                throw new IOException(file + " has no entry " + entry);
            }
            try (InputStream in = z.getInputStream(e)) {
                return in.readAllBytes();
            }
        }
    }

    static JsonNode json(String file) throws IOException {
        return JSON.readTree(dir().resolve(file).toFile());
    }

    /** Official per-image scores in file order. */
    static double[] scores(JsonNode run) {
        JsonNode per = run.path("per_image");
        double[] s = new double[per.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = per.get(i).path("score").asDouble();
        }
        return s;
    }

    /** Spearman rank correlation (ties get their mean rank). */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0);
        double mb = Arrays.stream(rb).average().orElse(0);
        double num = 0;
        double da = 0;
        double db = 0;
        for (int i = 0; i < a.length; i++) {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }
        return num / Math.sqrt(da * db);
    }

    private static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[order[k]] = (i + j) / 2.0;
            }
            i = j + 1;
        }
        return r;
    }
}
