package dev.anomalysdk.bench.harness;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the peak heap and process RSS of one stage: a daemon thread samples the heap in use and
 * {@code VmRSS} every {@value #PERIOD_MS} ms; on Linux the kernel's {@code VmHWM} is reset at the start
 * (write {@code 5} to {@code /proc/self/clear_refs}) and read at the end, which catches peaks between samples.
 * See {@link Performance} for what the numbers include.
 */
final class MemorySampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MemorySampler.class);
    static final long PERIOD_MS = 5;
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final Thread thread;
    private final boolean hwmReset;
    private volatile boolean running = true;
    private volatile long peakHeap;
    private volatile long peakRss = -1;
    private long finalHeap;
    private long finalRss = -1;
    private boolean closed;

    private MemorySampler(String stage) {
        System.gc();
        hwmReset = resetHighWaterMark();
        sample();
        thread = new Thread(this::loop, "ad-bench-memory-" + stage);
        thread.setDaemon(true);
        thread.start();
    }

    /** Collects garbage, resets the RSS high-water mark when possible, and starts sampling. */
    static MemorySampler start(String stage) {
        return new MemorySampler(stage);
    }

    private void loop() {
        while (running) {
            sample();
            try {
                TimeUnit.MILLISECONDS.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        long heap = memory.getHeapMemoryUsage().getUsed();
        if (heap > peakHeap) {
            peakHeap = heap;
        }
        long rss = statusKib("VmRSS");
        if (rss >= 0 && rss * 1024 > peakRss) {
            peakRss = rss * 1024;
        }
    }

    /** @return peak heap in use, bytes */
    long peakHeapBytes() {
        close();
        return finalHeap;
    }

    /** @return peak process RSS in bytes, or -1 without {@code /proc} */
    long peakRssBytes() {
        close();
        return finalRss;
    }

    /** @return how {@link #peakRssBytes()} was measured */
    String rssMethod() {
        if (finalRss < 0 && peakRss < 0) {
            return "unavailable (no /proc/self/status)";
        }
        return hwmReset ? "VmHWM reset per stage" : "VmRSS sampled every " + PERIOD_MS + " ms";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        finalHeap = peakHeap;
        long rss = peakRss;
        if (hwmReset) {
            long hwm = statusKib("VmHWM");
            if (hwm >= 0) {
                rss = Math.max(rss, hwm * 1024);
            }
        }
        finalRss = rss;
    }

    private static boolean resetHighWaterMark() {
        if (!Files.isWritable(CLEAR_REFS)) {
            return false;
        }
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | SecurityException e) {
            LOG.debug("Cannot reset VmHWM through {}: {}", CLEAR_REFS, e.toString());
            return false;
        }
    }

    /**
     * @param key a field of {@code /proc/self/status}, e.g. {@code VmRSS}
     * @return its value in KiB, or -1 when unavailable
     */
    static long statusKib(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key + ":")) {
                    String v = line.substring(key.length() + 1).trim();
                    int space = v.indexOf(' ');
                    return Long.parseLong(space < 0 ? v : v.substring(0, space));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
