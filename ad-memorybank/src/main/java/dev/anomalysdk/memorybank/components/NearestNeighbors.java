package dev.anomalysdk.memorybank.components;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Exact nearest-neighbour search under squared Euclidean distance, on ND4J. Queries are processed in row
 * chunks: one GEMM {@code chunk x bank} per chunk, then the row minimum, so memory is bounded by the chunk
 * size and no {@code queries x bank} matrix is ever held whole.
 */
public final class NearestNeighbors {
    private NearestNeighbors() {}

    /**
     * @param queries {@code q x d}
     * @param bank {@code b x d}
     * @param chunk rows of queries per GEMM
     * @return for each query, the squared distance to its nearest bank row (clamped at 0)
     */
    public static float[] squaredDistances(INDArray queries, INDArray bank, int chunk) {
        float[] out = new float[(int) queries.rows()];
        scan(queries, bank, chunk, out, null);
        return out;
    }

    /**
     * @return for each query, the index of its nearest bank row (lowest index on ties)
     */
    public static int[] nearestIndex(INDArray queries, INDArray bank, int chunk) {
        int[] out = new int[(int) queries.rows()];
        scan(queries, bank, chunk, new float[out.length], out);
        return out;
    }

    /**
     * @param k number of nearest bank rows to average (at most the bank size)
     * @return for each query, the mean Euclidean (not squared) distance to its {@code k} nearest bank rows
     */
    public static float[] meanOfNearest(INDArray queries, INDArray bank, int k, int chunk) {
        if (k < 1 || k > bank.rows()) {
            throw new IllegalArgumentException("Invalid k " + k + " for a bank of " + bank.rows() + " rows");
        }
        INDArray b = bank.castTo(DataType.FLOAT);
        INDArray bankNorms = b.mul(b).sum(1).reshape(1, b.rows());
        INDArray bankT = b.transpose();
        long q = queries.rows();
        int m = (int) b.rows();
        float[] out = new float[(int) q];
        float[] best = new float[k];
        for (long start = 0; start < q; start += chunk) {
            long end = Math.min(q, start + chunk);
            INDArray part = queries.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).castTo(DataType.FLOAT);
            INDArray partNorms = part.mul(part).sum(1).reshape(end - start, 1);
            float[] d = part.mmul(bankT).muli(-2).addiRowVector(bankNorms).addiColumnVector(partNorms)
                    .dup('c').data().asFloat();
            for (int i = 0; i < end - start; i++) {
                java.util.Arrays.fill(best, Float.POSITIVE_INFINITY);
                for (int j = 0; j < m; j++) {
                    float v = d[i * m + j];
                    if (v < best[k - 1]) {
                        int pos = k - 1;
                        while (pos > 0 && best[pos - 1] > v) {
                            best[pos] = best[pos - 1];
                            pos--;
                        }
                        best[pos] = v;
                    }
                }
                double sum = 0;
                for (float v : best) {
                    sum += Math.sqrt(Math.max(0f, v));
                }
                out[(int) start + i] = (float) (sum / k);
            }
        }
        return out;
    }

    /** One GEMM per chunk of queries; the distance, minimum and argmin are fused in one pass in Java. */
    private static void scan(INDArray queries, INDArray bank, int chunk, float[] dist, int[] index) {
        if (queries.columns() != bank.columns()) {
            throw new IllegalArgumentException("Dimension mismatch: queries have " + queries.columns()
                    + " columns, bank " + bank.columns());
        }
        INDArray b = bank.castTo(DataType.FLOAT);
        float[] bankNorms = rowNorms(b);
        INDArray bankT = b.transpose();
        int m = bankNorms.length;
        long q = queries.rows();
        for (long start = 0; start < q; start += chunk) {
            long end = Math.min(q, start + chunk);
            INDArray part = queries.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).castTo(DataType.FLOAT);
            float[] partNorms = rowNorms(part);
            float[] dots = part.mmul(bankT).dup('c').data().asFloat();
            for (int i = 0; i < partNorms.length; i++) {
                // |x - c|^2 = |x|^2 - 2 x.c + |c|^2
                float best = Float.POSITIVE_INFINITY;
                int arg = 0;
                for (int j = 0, o = i * m; j < m; j++) {
                    float v = bankNorms[j] - 2 * dots[o + j];
                    if (v < best) {
                        best = v;
                        arg = j;
                    }
                }
                dist[(int) start + i] = Math.max(0f, best + partNorms[i]);
                if (index != null) {
                    index[(int) start + i] = arg;
                }
            }
        }
    }

    private static float[] rowNorms(INDArray a) {
        int rows = (int) a.rows();
        int cols = (int) a.columns();
        float[] v = a.dup('c').data().asFloat();
        float[] out = new float[rows];
        for (int i = 0; i < rows; i++) {
            float s = 0;
            for (int j = 0, o = i * cols; j < cols; j++) {
                s += v[o + j] * v[o + j];
            }
            out[i] = s;
        }
        return out;
    }
}
