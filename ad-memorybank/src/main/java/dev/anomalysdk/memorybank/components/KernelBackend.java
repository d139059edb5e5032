package dev.anomalysdk.memorybank.components;

import ai.djl.Device;
import java.util.Locale;

/**
 * Where {@link CoresetSampler} and {@link KnnSearch} do their arithmetic. Both backends pass the same tests
 * and give the same coreset selections for the same seed; they differ only in speed. The defaults follow
 * the measurements in {@code docs/kernels.md}.
 */
public enum KernelBackend {
    /**
     * CPU: ND4J (OpenBLAS) for the GEMMs (random projection, k-NN distances) and a fused, multithreaded Java
     * loop for the greedy coreset iterations. The default on CPU.
     */
    ND4J,
    /** DJL tensors on the PyTorch engine, on any device it offers. The default on CUDA. */
    DJL;

    /** @return the backend measured faster for {@code device}: {@link #DJL} on a GPU, {@link #ND4J} on CPU */
    public static KernelBackend defaultFor(Device device) {
        return device != null && device.isGpu() ? DJL : ND4J;
    }

    /**
     * @param name {@code auto}, {@code nd4j} or {@code djl} (any case)
     * @param device the device, for {@code auto}
     * @return the backend
     */
    public static KernelBackend parse(String name, Device device) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "auto" -> defaultFor(device);
            case "nd4j", "cpu" -> ND4J;
            case "djl" -> DJL;
            default -> throw new IllegalArgumentException("Invalid kernel backend '" + name + "': use auto, nd4j or djl");
        };
    }
}
