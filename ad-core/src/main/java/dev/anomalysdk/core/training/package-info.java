/**
 * Training of networks made of DJL blocks, shared by every method family that trains (synthetic-anomaly
 * segmenters, reconstruction networks, students): {@link dev.anomalysdk.core.training.TrainingSchedule}
 * (length in epochs and/or minutes, Adam or SGD, cosine or multi-step decay, seed) and
 * {@link dev.anomalysdk.core.training.TrainingLoop} (seeded initialization, bounded memory per step,
 * per-epoch logging, model selection on a validation metric).
 */
package dev.anomalysdk.core.training;
