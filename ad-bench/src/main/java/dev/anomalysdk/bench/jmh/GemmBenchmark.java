package dev.anomalysdk.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's single-precision GEMM rate through ND4J (OpenBLAS), the yardstick for the k-NN kernel:
 * {@code m x k} times {@code k x n}, with the k-NN's own shape (784 queries of one image against a
 * 4096-row bank block, 1024 dimensions) and a square one. The {@code gflops} counter is GFLOP/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true"})
public class GemmBenchmark {
    /** {@code m x k x n} (an {@code x}, as JMH splits {@code -p} values at commas). */
    @Param({"784x1024x4096", "2048x2048x2048"})
    public String shape;

    private INDArray a;
    private INDArray b;
    private INDArray c;
    private double gflopPerCall;

    /** GFLOP done, reported by JMH as a rate (GFLOP/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        /** GFLOP per second. */
        public double gflops;
    }

    /** Allocates random operands. */
    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        int m = Integer.parseInt(s[0]);
        int k = Integer.parseInt(s[1]);
        int n = Integer.parseInt(s[2]);
        a = Nd4j.rand(DataType.FLOAT, m, k);
        b = Nd4j.rand(DataType.FLOAT, n, k);
        c = Nd4j.createUninitialized(DataType.FLOAT, new long[] {m, n}, 'c');
        gflopPerCall = 2.0 * m * k * n / 1e9;
    }

    /** One GEMM {@code C = A B^T} (the k-NN's transposition). */
    @Benchmark
    public INDArray sgemm(Counters counters) {
        Nd4j.gemm(a, b, c, false, true, 1.0, 0.0);
        counters.gflops += gflopPerCall;
        return c;
    }
}
