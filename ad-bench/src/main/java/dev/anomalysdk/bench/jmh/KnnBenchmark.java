package dev.anomalysdk.bench.jmh;

import ai.djl.Device;
import dev.anomalysdk.memorybank.kernels.KernelBackend;
import dev.anomalysdk.memorybank.kernels.KnnSearch;
import dev.anomalysdk.memorybank.kernels.PatchMatrix;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * images). The {@code gflops} counter is the achieved GFLOP/s, counting the GEMM's {@code 2 q m d} flops;
 * compare with {@link GemmBenchmark}.
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
    /** Bank storage precision. */
    @Param({"FLOAT32"})
    public PatchMatrix.Precision precision;

    private static final int DIM = 1024;
    private static final int QUERIES = 784;
    private PatchMatrix matrix;
    private KnnSearch search;
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
        matrix = PatchMatrix.inMemory(DIM, precision);
        float[] block = new float[4096 * DIM];
        for (int start = 0; start < bank; start += 4096) {
            int n = Math.min(4096, bank - start);
            for (int i = 0; i < n * DIM; i++) {
                block[i] = (float) r.nextDouble();
            }
            matrix.append(block, 0, n);
        }
        queries = new float[QUERIES * DIM];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) r.nextDouble();
        }
        search = new KnnSearch(matrix, backend, Device.cpu());
    }

    /** Releases the bank. */
    @TearDown(Level.Trial)
    public void tearDown() {
        search.close();
        matrix.close();
    }

    /** Nearest bank row of each of one image's patches. */
    @Benchmark
    public KnnSearch.Result nearest(Counters counters) {
        KnnSearch.Result r = search.search(queries, QUERIES, 1);
        counters.gflops += 2.0 * QUERIES * bank * DIM / 1e9;
        return r;
    }
}
