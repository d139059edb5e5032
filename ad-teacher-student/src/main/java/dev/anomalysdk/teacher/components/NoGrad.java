package dev.anomalysdk.teacher.components;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which libtorch records no autograd graph on the calling thread (grad mode is thread-local),
 * for inference with trainable parameters: {@code try (NoGrad g = NoGrad.enter()) { ... }}. Restores the
 * previous mode on close.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad(boolean previous) {
        this.previous = previous;
    }

    /** @return a scope with grad mode off until {@link #close()} */
    public static NoGrad enter() {
        boolean was = JniUtils.isGradMode();
        if (was) {
            JniUtils.setGradMode(false);
        }
        return new NoGrad(was);
    }

    @Override
    public void close() {
        if (previous) {
            JniUtils.setGradMode(true);
        }
    }
}
