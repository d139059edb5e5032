package dev.anomalysdk.memorybank.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchMatrixTest {
    @TempDir
    Path tmp;

    @Test
    void float16RoundsToNearestEvenAndDecodesExactly() {
        // Values exactly representable in half precision come back unchanged.
        for (float v : new float[] {0f, -0f, 1f, -2.5f, 65504f, 0x1p-24f, 0x1p-14f, 1023.5f}) {
            assertEquals(v, PatchMatrix.fromHalf(PatchMatrix.toHalf(v)), 0f, "value " + v);
        }
        // 1 + 2^-11 is half-way between 1 and 1 + 2^-10: ties to even gives 1.
        assertEquals(1f, PatchMatrix.fromHalf(PatchMatrix.toHalf(1f + 0x1p-11f)));
        assertEquals(1f + 0x1p-9f, PatchMatrix.fromHalf(PatchMatrix.toHalf(1f + 0x1p-10f + 0x1p-11f)));
        assertEquals(Float.POSITIVE_INFINITY, PatchMatrix.fromHalf(PatchMatrix.toHalf(70000f)));
        assertTrue(Float.isNaN(PatchMatrix.fromHalf(PatchMatrix.toHalf(Float.NaN))));
        Random r = new Random(3);
        for (int i = 0; i < 10000; i++) {
            float v = (float) (r.nextGaussian() * 100);
            float back = PatchMatrix.fromHalf(PatchMatrix.toHalf(v));
            assertTrue(Math.abs(back - v) <= Math.abs(v) * 0x1p-11f + 0x1p-25f, v + " -> " + back);
        }
    }

    @Test
    void rowsComeBackAsWrittenInMemoryAndMapped() throws IOException {
        Random r = new Random(5);
        int dim = 37;
        float[] values = new float[500 * dim];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        Path file = tmp.resolve("bank.bin");
        try (PatchMatrix mem = PatchMatrix.inMemory(dim, PatchMatrix.Precision.FLOAT32);
                PatchMatrix mapped = PatchMatrix.mapped(file, dim, PatchMatrix.Precision.FLOAT32);
                PatchMatrix half = PatchMatrix.mappedTemporary(tmp, dim, PatchMatrix.Precision.FLOAT16)) {
            for (int start = 0; start < 500; start += 123) {
                int n = Math.min(123, 500 - start);
                mem.append(values, start * dim, n);
                mapped.append(values, start * dim, n);
                half.append(values, start * dim, n);
            }
            assertEquals(500, mem.rows());
            assertArrayEquals(values, mem.toArray());
            assertArrayEquals(values, mapped.toArray());
            assertTrue(Files.size(file) >= 500L * dim * 4);
            float[] h = half.toArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], h[i], Math.abs(values[i]) * 0x1p-11f + 1e-7f);
            }
            assertArrayEquals(new float[] {values[7 * dim], values[7 * dim + 1]},
                    java.util.Arrays.copyOf(mapped.row(7), 2));
            float[] norms = mem.squaredNorms();
            double expected = 0;
            for (int j = 0; j < dim; j++) {
                expected += values[3 * dim + j] * values[3 * dim + j];
            }
            assertEquals(expected, norms[3], 1e-4);
            try (PatchMatrix sel = mapped.select(new int[] {9, 2}, PatchMatrix.Precision.FLOAT32)) {
                assertArrayEquals(mapped.row(9), sel.row(0));
                assertArrayEquals(mapped.row(2), sel.row(1));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> mem.read(499, 2, new float[2 * dim], 0));
        }
        assertEquals(500L * 37 * 4, Files.size(file), "a named mapped file is kept, holding exactly its rows");
        try (var files = Files.list(tmp)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith("anomaly-sdk-patches")),
                    "temporary mapped files are deleted on close");
        }
    }
}
