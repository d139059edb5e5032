/**
 * JMH benchmarks of the memory-bank kernels: coreset selection ({@link dev.anomalysdk.bench.jmh.CoresetBenchmark},
 * GB/s of the bandwidth-bound greedy loop), exact k-NN ({@link dev.anomalysdk.bench.jmh.KnnBenchmark}, GFLOP/s)
 * and the machine's single-precision GEMM rate for reference ({@link dev.anomalysdk.bench.jmh.GemmBenchmark}).
 * Run: {@code mvn -pl ad-bench -am package -DskipTests && java -jar ad-bench/target/ad-bench-benchmarks.jar Knn};
 * results are recorded in {@code docs/kernels.md}.
 */
package dev.anomalysdk.bench.jmh;
