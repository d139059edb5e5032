package dev.anomalysdk.core.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Test resources of the backbone tests (see {@code src/test/resources/backbones/README.md}). */
final class Fixtures {
    private static int savedThreads = -1;

    private Fixtures() {}

    /**
     * Runs libtorch's intra-op work on one thread while a test class runs: tiny networks gain nothing from
     * more, and on a loaded shared machine OpenMP's spin-waiting made each call ~10x slower.
     */
    static synchronized void singleThreaded() {
        DjlEnvironment.engine();
        if (savedThreads < 0) {
            savedThreads = JniUtils.getNumThreads();
        }
        JniUtils.setNumThreads(1);
    }

    /** Restores the thread count changed by {@link #singleThreaded()}. */
    static synchronized void restoreThreads() {
        if (savedThreads > 0) {
            JniUtils.setNumThreads(savedThreads);
            savedThreads = -1;
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/backbones/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tinyResnet() {
        return resource("tiny_resnet.pt");
    }

    static Npy.Array npy(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Npy.read(in, file.toString(), 1L << 28);
        }
    }

    static NDArray toArray(Npy.Array a, NDManager manager) {
        return manager.create(a.data(), new Shape(a.shape()));
    }

    /** Rows {@code [0, n)} of a batch. */
    static NDArray firstRows(Npy.Array a, int n, NDManager manager) {
        long[] shape = a.shape().clone();
        int per = (int) (a.data().length / shape[0]);
        shape[0] = n;
        return manager.create(Arrays.copyOf(a.data(), per * n), new Shape(shape));
    }

    static void assertClose(Npy.Array expected, NDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.getShape().getShape(), "shape");
        float[] e = expected.data();
        float[] a = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]) / Math.max(1.0, Math.abs(e[i])));
        }
        assertTrue(worst <= tolerance, "max difference " + worst + " > " + tolerance);
    }
}
