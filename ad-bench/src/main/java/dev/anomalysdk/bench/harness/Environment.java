package dev.anomalysdk.bench.harness;

import ai.djl.engine.Engine;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.DjlEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a benchmark ran, as printed in its report.
 *
 * @param cpu CPU model ({@code model name} of {@code /proc/cpuinfo}, else {@code os.arch})
 * @param cores processors available to the JVM
 * @param os operating system name and version
 * @param jvm JVM vendor, name and version
 * @param maxHeapBytes the JVM's maximum heap ({@code -Xmx})
 * @param djlVersion DJL version
 * @param engine DJL engine name and version, e.g. {@code PyTorch 2.7.1}
 * @param sdkVersion anomaly-sdk version
 */
public record Environment(String cpu, int cores, String os, String jvm, long maxHeapBytes, String djlVersion,
        String engine, String sdkVersion) {

    /** @return the current machine and JVM (initializes the DJL engine) */
    public static Environment current() {
        String engine;
        String djl;
        try {
            Engine e = DjlEnvironment.engine();
            engine = e.getEngineName() + " " + e.getVersion();
            djl = Engine.getDjlVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            engine = "unavailable (" + e.getMessage() + ")";
            djl = "unknown";
        }
        return new Environment(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.runtime.version", System.getProperty("java.version")),
                Runtime.getRuntime().maxMemory(), djl, engine, BaseDetector.sdkVersion());
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
