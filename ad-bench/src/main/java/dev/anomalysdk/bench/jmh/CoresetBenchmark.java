package dev.anomalysdk.bench.jmh;

import ai.djl.Device;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.memorybank.components.CoresetSampler;
import dev.anomalysdk.memorybank.components.KernelBackend;
import dev.anomalysdk.memorybank.components.PatchMatrix;
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
 * Approximate greedy coreset selection on {@code n x 1024} patch features: 78,400 rows (100 images at 224 px,
 * the official implementation's 217 s fit, 197 s of it coreset) or 156,800 (200 images). One operation is a
 * whole {@link CoresetSampler#select} (projection to 128 dimensions, then one greedy pass per chosen row).
 * Counters: {@code gbytes} = the GB/s a plain greedy loop would have to read to go as fast ({@code n x 128 x 4}
 * bytes per iteration, projection time included; the CPU loop reads far less, see {@link CoresetSampler}),
 * {@code passes} = greedy iterations per second. {@code fraction} 0.1 is
 * the official setting (one operation = a full fit's coreset); 0.01 measures the loop rate faster.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true"})
public class CoresetBenchmark {
    /** Rows. */
    @Param({"78400", "156800"})
    public int rows;
    /** Share of rows selected. */
    @Param({"0.01", "0.1"})
    public double fraction;
    /** Kernel backend. */
    @Param({"ND4J", "DJL"})
    public KernelBackend backend;
    /** Threads of the CPU loop. */
    @Param({"2"})
    public int threads;

    private static final int DIM = 1024;
    private PatchMatrix features;

    /** Bytes and passes, reported by JMH as rates. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        /** GB per second read by the greedy loop. */
        public double gbytes;
        /** Greedy iterations per second. */
        public double passes;
    }

    /** Random features in 40 clusters (patch features are far from uniform). */
    @Setup(Level.Trial)
    public void setup() {
        SplittableRandom r = new SplittableRandom(2);
        float[][] centres = new float[40][DIM];
        for (float[] c : centres) {
            for (int j = 0; j < DIM; j++) {
                c[j] = (float) (r.nextDouble() * 4);
            }
        }
        features = PatchMatrix.inMemory(DIM, PatchMatrix.Precision.FLOAT32);
        float[] row = new float[DIM];
        for (int i = 0; i < rows; i++) {
            float[] c = centres[r.nextInt(centres.length)];
            for (int j = 0; j < DIM; j++) {
                row[j] = c[j] + (float) r.nextDouble();
            }
            features.append(row, 0, 1);
        }
    }

    /** Releases the features. */
    @TearDown(Level.Trial)
    public void tearDown() {
        features.close();
    }

    /** One coreset selection. */
    @Benchmark
    public int[] select(Counters counters) {
        CoresetSampler.Options o = new CoresetSampler.Options(fraction, 128, 10, 0, threads);
        int[] chosen = CoresetSampler.select(features, o, backend, Device.cpu(), ProgressListener.NONE);
        counters.passes += chosen.length;
        counters.gbytes += (double) chosen.length * rows * 128 * 4 / 1e9;
        return chosen;
    }
}
