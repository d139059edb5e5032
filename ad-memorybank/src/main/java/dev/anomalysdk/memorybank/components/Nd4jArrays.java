package dev.anomalysdk.memorybank.components;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Copies between Java arrays and ND4J float matrices in bulk. ND4J 1.0.0-M2.1's {@code Nd4j.create(float[],
 * ...)} copies element by element (about 5 ms for one image's 784 x 1024 patch features, ten times a bulk
 * copy), which showed in every k-NN search.
 */
public final class Nd4jArrays {
    private Nd4jArrays() {}

    /**
     * @param values row-major values, at least {@code offset + rows * cols} of them
     * @param offset index of the first value
     * @return a new {@code rows x cols} float32 matrix ('c' order) holding a copy of the values
     */
    public static INDArray matrix(float[] values, int offset, long rows, long cols) {
        long count = rows * cols;
        if (offset < 0 || offset + count > values.length) {
            throw new IllegalArgumentException(rows + " x " + cols + " values from " + offset + " exceed the "
                    + values.length + " given");
        }
        INDArray m = Nd4j.createUninitialized(DataType.FLOAT, new long[] {rows, cols}, 'c');
        m.data().asNioFloat().put(0, values, offset, (int) count);
        return m;
    }

    /** @return the values of a float32 'c'-order matrix, row-major */
    public static float[] values(INDArray m) {
        if (m.dataType() != DataType.FLOAT || m.ordering() != 'c' || m.isView()) {
            return values(m.castTo(DataType.FLOAT).dup('c'));
        }
        float[] out = new float[Math.toIntExact(m.length())];
        m.data().asNioFloat().get(0, out);
        return out;
    }
}
