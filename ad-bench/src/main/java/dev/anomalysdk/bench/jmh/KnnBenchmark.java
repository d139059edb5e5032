package dev.anomalysdk.bench.jmh;

import ai.djl.Device;
import dev.anomalysdk.memorybank.components.KernelBackend;
import dev.anomalysdk.memorybank.components.KnnSearch;
import dev.anomalysdk.memorybank.components.PatchMatrix;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Exact 1-NN of one image's patches (784 queries of 1024 dimensions, a 224 px image at PatchCore's 28 x 28
 * grid) against a memory bank: 15,680 rows (10 % coreset of 200 images) or 156,800 (all patches of 200
 * images). The {@code gflops} counter is the achieved GFLOP/s, counting the exhaustive GEMM's
 * {@code 2 q m d} flops (so for the pruned search it is an equivalent rate); compare with
 * {@link GemmBenchmark}.
 *
 * <p>{@code data}: {@code uniform} values have no low-dimensional structure (the bound prunes nothing and
 * queries fall back to the exhaustive search: the pruned search's worst case); {@code spectral} bank rows have
 * principal variances decaying as {@code i^-1.5} (about 95 % of the variance in 128 of the 1024 directions:
 * flatter than the 96.8 % and 99.4 % measured on the patch features of the parity fixture's ResNet-18 and of a
 * WideResNet-50 on DeepPCB), and each query is a bank row plus noise of the same spectrum at half the scale,
 * as test patches of normal images lie near training patches.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true"})
public class KnnBenchmark {
    /** Memory bank rows. */
    @Param({"15680", "156800"})
    public int bank;
    /** Kernel backend. */
    @Param({"ND4J", "DJL"})
    public KernelBackend backend;
    /** Search strategy: {@code pruned} (the projection bound, the ND4J default) or {@code exhaustive}. */
    @Param({"pruned", "exhaustive"})
    public String search;
    /** Synthetic data: {@code uniform} or {@code spectral} (see the class comment). */
    @Param({"spectral", "uniform"})
    public String data;
    /** Bank storage precision. */
    @Param({"FLOAT32"})
    public PatchMatrix.Precision precision;

    private static final int DIM = 1024;
    private static final int QUERIES = 784;
    private PatchMatrix matrix;
    private KnnSearch knn;
    private float[] queries;

    /** GFLOP done, reported by JMH as a rate (GFLOP/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        /** GFLOP per second. */
        public double gflops;
    }

    /** Builds a random bank and queries. */
    @Setup(Level.Trial)
    public void setup() {
        SplittableRandom r = new SplittableRandom(1);
        float[] scales = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            scales[i] = "spectral".equals(data) ? (float) Math.pow(i + 1, -0.75) : 1f;
        }
        matrix = PatchMatrix.inMemory(DIM, precision);
        for (int start = 0; start < bank; start += 4096) {
            int n = Math.min(4096, bank - start);
            matrix.append(sample(r, n, scales), 0, n);
        }
        queries = "spectral".equals(data) ? nearBankRows(r, scales) : sample(r, QUERIES, scales);
        int rank = "pruned".equals(search) ? KnnSearch.automaticBoundRank(matrix) : 0;
        knn = new KnnSearch(matrix, backend, Device.cpu(), KnnSearch.DEFAULT_RESIDENT_BYTES, rank);
    }

    /** Random bank rows plus half-scale noise of the bank's spectrum. */
    private float[] nearBankRows(SplittableRandom r, float[] scales) {
        float[] half = scales.clone();
        for (int i = 0; i < DIM; i++) {
            half[i] *= 0.5f;
        }
        float[] q = sample(r, QUERIES, half);
        for (int i = 0; i < QUERIES; i++) {
            float[] row = matrix.row(r.nextInt(bank));
            for (int t = 0; t < DIM; t++) {
                q[i * DIM + t] += row[t];
            }
        }
        return q;
    }

    /** Rows of uniform values, or of Gaussian coordinates scaled per axis and rotated by a fixed random basis. */
    private static float[] sample(SplittableRandom r, int rows, float[] scales) {
        float[] x = new float[rows * DIM];
        boolean uniform = scales[DIM - 1] == 1f;
        for (int i = 0; i < x.length; i++) {
            x[i] = uniform ? (float) r.nextDouble() : (float) (r.nextGaussian() * scales[i % DIM]);
        }
        if (uniform) {
            return x;
        }
        SplittableRandom basis = new SplittableRandom(2);
        float[] rotation = new float[DIM * DIM];
        for (int i = 0; i < rotation.length; i++) {
            rotation[i] = (float) (basis.nextGaussian() / Math.sqrt(DIM));
        }
        try (INDArray a = Nd4j.create(x, new long[] {rows, DIM}, 'c');
                INDArray b = Nd4j.create(rotation, new long[] {DIM, DIM}, 'c');
                INDArray y = a.mmul(b)) {
            return y.dup('c').data().asFloat();
        }
    }

    /** Releases the bank. */
    @TearDown(Level.Trial)
    public void tearDown() {
        knn.close();
        matrix.close();
    }

    /** Nearest bank row of each of one image's patches. */
    @Benchmark
    public KnnSearch.Result nearest(Counters counters) {
        KnnSearch.Result r = knn.search(queries, QUERIES, 1);
        counters.gflops += 2.0 * QUERIES * bank * DIM / 1e9;
        return r;
    }
}
