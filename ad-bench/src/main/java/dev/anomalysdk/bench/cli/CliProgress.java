package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.ProgressListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress for the command line: a progress bar per task on a terminal, log lines otherwise (pipes, CI).
 */
final class CliProgress implements ProgressListener, AutoCloseable {
    private final ProgressListener fallback = ProgressListener.logging("ad");
    private final boolean terminal = System.console() != null;
    private ProgressBar bar;
    private String task;

    @Override
    public synchronized void update(String task, long done, long total) {
        if (!terminal) {
            fallback.update(task, done, total);
            return;
        }
        if (bar == null || !task.equals(this.task)) {
            close();
            this.task = task;
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(total, 1))
                    .setStyle(ProgressBarStyle.ASCII).continuousUpdate().build();
        }
        if (total > 0) {
            bar.maxHint(total);
        }
        bar.stepTo(done);
        if (total > 0 && done >= total) {
            close();
        }
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
            bar = null;
            task = null;
        }
    }
}
