package dev.anomalysdk.memorybank.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class Nd4jArraysTest {

    @Test
    void copiesRowsFromAnOffsetAndBack() {
        float[] values = {9, 9, 1, 2, 3, 4, 5, 6, 9};
        try (INDArray m = Nd4jArrays.matrix(values, 2, 2, 3)) {
            assertEquals(2, m.rows());
            assertEquals(3, m.columns());
            assertEquals(6f, m.getFloat(1, 2));
            assertEquals(4f, m.getFloat(1, 0));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Nd4jArrays.values(m));
            // A transposed view is read in its own row order.
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Nd4jArrays.values(m.transpose()));
        }
        assertThrows(IllegalArgumentException.class, () -> Nd4jArrays.matrix(values, 4, 2, 3));
    }
}
