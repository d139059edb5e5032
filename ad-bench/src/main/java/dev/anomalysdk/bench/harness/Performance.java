package dev.anomalysdk.bench.harness;

/**
 * What a (detector, category) pair cost, stage by stage.
 *
 * <p><b>Heap</b> is the JVM heap in use ({@code MemoryMXBean}), sampled every few milliseconds by a
 * background thread during the stage, after a garbage collection at its start. <b>RSS</b> is the whole
 * process's resident set from {@code /proc/self/status} (Linux): the kernel's high-water mark
 * {@code VmHWM}, reset at the start of each stage through {@code /proc/self/clear_refs} when the kernel
 * allows it, and otherwise the largest sampled {@code VmRSS}. RSS includes the heap, libtorch's and
 * OpenBLAS's native allocations, thread stacks and mapped code; it is -1 where {@code /proc} is absent.
 *
 * @param fitSeconds wall time of {@code fit} (feature extraction, model building and calibration)
 * @param loadSeconds wall time of loading the saved model
 * @param latencyMedianMs median wall time of {@code predict} on one image (batch of 1, image decoded beforehand)
 * @param latencyP95Ms 95th percentile (nearest rank) of the same
 * @param latencyImages how many images the latency was measured on (after one warm-up prediction)
 * @param throughputImagesPerSecond test images per second of model time in batches of 8 (decoding images and
 *     writing maps and overlays excluded)
 * @param fitPeakHeapBytes peak heap in use while fitting and saving
 * @param predictPeakHeapBytes peak heap in use while loading and predicting
 * @param fitPeakRssBytes peak process RSS while fitting and saving
 * @param predictPeakRssBytes peak process RSS while loading and predicting
 * @param rssMethod how the RSS peaks were measured
 * @param modelBytes size on disk of the saved model directory
 */
public record Performance(double fitSeconds, double loadSeconds, double latencyMedianMs, double latencyP95Ms,
        int latencyImages, double throughputImagesPerSecond, long fitPeakHeapBytes, long predictPeakHeapBytes,
        long fitPeakRssBytes, long predictPeakRssBytes, String rssMethod, long modelBytes) {
}
