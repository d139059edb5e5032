package dev.anomalysdk.teacher.components;

import ai.djl.ndarray.NDArray;

/** How per-layer anomaly maps, upsampled to a common size, combine into one map. */
public enum MapAggregation {
    /** Element-wise sum (Reverse Distillation's default, "a" in its code). */
    SUM,
    /** Element-wise product (STFPM's paper and code; "mul" in Reverse Distillation's code). */
    PRODUCT;

    /**
     * @param accumulated the maps combined so far, or {@code null} for none
     * @param next the next layer's map, same shape
     * @return the combination
     */
    public NDArray combine(NDArray accumulated, NDArray next) {
        if (accumulated == null) {
            return next;
        }
        return this == SUM ? accumulated.add(next) : accumulated.mul(next);
    }
}
