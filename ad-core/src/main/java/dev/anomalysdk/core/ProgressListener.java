package dev.anomalysdk.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives progress of long work (fit, coreset selection, training, benchmarks). The command line shows a
 * progress bar; the default implementation writes log lines at most every few seconds.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores progress. */
    ProgressListener NONE = (task, done, total) -> { };

    /**
     * Called as work advances.
     *
     * @param task what is being done, e.g. {@code "extracting features"}
     * @param done units finished so far
     * @param total units in all (0 when unknown)
     */
    void update(String task, long done, long total);

    /** @return a listener that logs through SLF4J at most every 5 seconds per task, and at completion */
    static ProgressListener logging(String source) {
        Logger log = LoggerFactory.getLogger("dev.anomalysdk.progress." + source);
        return new ProgressListener() {
            private String lastTask = "";
            private long lastTime;

            @Override
            public synchronized void update(String task, long done, long total) {
                long now = System.nanoTime();
                boolean finished = total > 0 && done >= total;
                if (!task.equals(lastTask) || finished || now - lastTime > 5_000_000_000L) {
                    if (total > 0) {
                        log.info("{}: {}/{} ({}%)", task, done, total, 100 * done / total);
                    } else {
                        log.info("{}: {}", task, done);
                    }
                    lastTask = task;
                    lastTime = now;
                }
            }
        };
    }
}
