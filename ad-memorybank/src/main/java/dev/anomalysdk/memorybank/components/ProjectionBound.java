package dev.anomalysdk.memorybank.components;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Cheap lower bounds on squared distances to a bank, from its principal subspace. With {@code P} the
 * bank's leading {@code r} principal directions (orthonormal) and {@code mu} its mean, a vector splits into
 * its projection {@code P^T (v - mu)} and a residual of norm {@code rho}; for any query and bank row
 * <pre>  |q - b|^2 = |P^T(q - b)|^2 + |residual(q) - residual(b)|^2 &gt;= |q_P - b_P|^2 + (rho_q - rho_b)^2</pre>
 * (the residuals are orthogonal to the subspace, and the reverse triangle inequality bounds their
 * difference). Patch features concentrate in few directions, so the bound is tight and one GEMM in
 * {@code r} dimensions rules out almost every bank row; {@link KnnSearch} then measures only the survivors
 * exactly.
 *
 * <p>The bound is computed in float32 and lowered by a margin that keeps it a bound despite rounding.
 * Immutable after construction; read-only methods are thread-safe.
 */
final class ProjectionBound implements AutoCloseable {
    /** Relative rounding margin: 10x the float32 error of a 1024-term projection, as a share of the norms. */
    private static final double SLACK = 1e-4;

    private final int dim;
    private final int rank;
    private final float[] mean;
    private final INDArray basis;
    /** {@code mu} as a {@code 1 x dim} matrix. */
    private final INDArray meanRow;
    /** Bank projections, {@code rank x n} (transposed for the GEMM). */
    private final INDArray projectedBank;
    private final float[] bankProjectedNorms;
    private final float[] bankResiduals;
    /** Per-row rounding margin: {@code SLACK * |b - mu|^2}. */
    private final float[] bankSlack;

    /**
     * @param blocks the bank, row blocks of {@code rows x dim} float32 ('c' order)
     * @param rows bank rows
     * @param dim feature dimension
     * @param rank subspace dimension, below {@code dim}
     */
    ProjectionBound(List<INDArray> blocks, int rows, int dim, int rank) {
        this.dim = dim;
        this.rank = rank;
        double[] sum = new double[dim];
        for (INDArray b : blocks) {
            FloatBuffer v = b.data().asNioFloat();
            for (int i = 0; i < v.limit(); i++) {
                sum[i % dim] += v.get(i);
            }
        }
        mean = new float[dim];
        for (int j = 0; j < dim; j++) {
            mean[j] = (float) (sum[j] / rows);
        }
        INDArray mu = Nd4jArrays.matrix(mean, 0, 1, dim);
        INDArray scatter = Nd4j.zeros(DataType.FLOAT, dim, dim);
        for (INDArray b : blocks) {
            try (INDArray c = b.subRowVector(mu)) {
                Nd4j.gemm(c, c, scatter, true, false, 1.0, 1.0);
            }
        }
        // Float32 eigenvectors are orthonormal to ~1e-6, well inside the rounding margin.
        INDArray vectors = scatter.dup();
        INDArray values = Eigen.symmetricGeneralizedEigenvalues(vectors, true);
        double[] ev = values.toDoubleVector();
        Integer[] order = new Integer[dim];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(ev[b], ev[a]));
        basis = Nd4j.create(DataType.FLOAT, dim, rank);
        for (int j = 0; j < rank; j++) {
            basis.putColumn(j, vectors.getColumn(order[j]));
        }
        scatter.close();
        vectors.close();
        values.close();
        bankProjectedNorms = new float[rows];
        bankResiduals = new float[rows];
        float[] bankCentredNorms = new float[rows];
        projectedBank = Nd4j.create(DataType.FLOAT, rank, rows);
        int start = 0;
        for (INDArray b : blocks) {
            int n = (int) b.rows();
            float[] p = project(b, mu);
            split(b.data().asNioFloat(), p, n, bankProjectedNorms, bankResiduals, bankCentredNorms, start);
            try (INDArray t = Nd4jArrays.matrix(p, 0, n, rank)) {
                projectedBank.get(NDArrayIndex.all(), NDArrayIndex.interval(start, start + n)).assign(t.transpose());
            }
            start += n;
        }
        bankSlack = new float[rows];
        for (int j = 0; j < rows; j++) {
            bankSlack[j] = (float) (SLACK * bankCentredNorms[j]);
        }
        meanRow = mu;
    }

    /** Projections of the query rows, plus their norms split as for the bank. */
    record Queries(int rows, INDArray projected, float[] projectedNorms, float[] residuals, float[] centredNorms) {
    }

    /** @param queries {@code rows x dim} float32 ('c' order) */
    Queries project(INDArray queries) {
        int rows = (int) queries.rows();
        // Centred before projecting, as the bank was: P^T q - P^T mu would cancel digits the margin counts on.
        INDArray projected = Nd4j.createUninitialized(DataType.FLOAT, new long[] {rows, rank}, 'c');
        try (INDArray c = queries.subRowVector(meanRow)) {
            Nd4j.gemm(c, basis, projected, false, false, 1.0, 0.0);
        }
        float[] p = Nd4jArrays.values(projected);
        float[] pn = new float[rows];
        float[] res = new float[rows];
        float[] cn = new float[rows];
        split(queries.data().asNioFloat(), p, rows, pn, res, cn, 0);
        return new Queries(rows, projected, pn, res, cn);
    }

    /**
     * Dot products of the projected queries with the projected bank, the GEMM behind {@link #toBounds}.
     *
     * @return {@code rows x n} values, row-major
     */
    float[] dots(Queries q) {
        int n = bankResiduals.length;
        float[] out = new float[q.rows() * n];
        try (INDArray dots = Nd4j.createUninitialized(DataType.FLOAT, new long[] {q.rows(), n}, 'c')) {
            Nd4j.gemm(q.projected(), projectedBank, dots, false, false, 1.0, 0.0);
            dots.data().asNioFloat().get(0, out, 0, out.length);
        }
        return out;
    }

    /**
     * Turns query {@code i}'s row of {@link #dots} into conservative lower bounds in place (the bound minus the
     * rounding margin, so a row whose value exceeds a distance already found cannot be nearer), and returns
     * the {@code k} rows with the smallest bounds (ties to the lower row).
     */
    int[] toBounds(Queries q, int i, float[] values, int offset, int k) {
        int n = bankResiduals.length;
        float qn = q.projectedNorms()[i];
        float qr = q.residuals()[i];
        float qs = (float) (SLACK * q.centredNorms()[i]);
        // Two plain loops: the first vectorizes, the second is a compare per row.
        for (int j = 0; j < n; j++) {
            float r = qr - bankResiduals[j];
            values[offset + j] = qn + bankProjectedNorms[j] - 2f * values[offset + j] + r * r - qs - bankSlack[j];
        }
        float[] top = new float[k];
        int[] rows = new int[k];
        Arrays.fill(top, Float.POSITIVE_INFINITY);
        for (int j = 0; j < n; j++) {
            float v = values[offset + j];
            if (v < top[k - 1]) {
                int pos = k - 1;
                while (pos > 0 && top[pos - 1] > v) {
                    top[pos] = top[pos - 1];
                    rows[pos] = rows[pos - 1];
                    pos--;
                }
                top[pos] = v;
                rows[pos] = j;
            }
        }
        return rows;
    }

    private float[] project(INDArray rowsByDim, INDArray mu) {
        try (INDArray c = rowsByDim.subRowVector(mu); INDArray p = c.mmul(basis)) {
            return Nd4jArrays.values(p);
        }
    }

    /** Squared norm of the projection, residual norm and centred squared norm of each row (double sums). */
    private void split(FloatBuffer rowsByDim, float[] projected, int rows, float[] projectedNorms, float[] residuals,
            float[] centredNorms, int offset) {
        for (int i = 0; i < rows; i++) {
            double c = 0;
            for (int j = 0; j < dim; j++) {
                double d = rowsByDim.get(i * dim + j) - mean[j];
                c += d * d;
            }
            double p = 0;
            for (int j = 0; j < rank; j++) {
                p += (double) projected[i * rank + j] * projected[i * rank + j];
            }
            projectedNorms[offset + i] = (float) p;
            residuals[offset + i] = (float) Math.sqrt(Math.max(0, c - p));
            centredNorms[offset + i] = (float) c;
        }
    }

    @Override
    public void close() {
        basis.close();
        meanRow.close();
        projectedBank.close();
    }
}
