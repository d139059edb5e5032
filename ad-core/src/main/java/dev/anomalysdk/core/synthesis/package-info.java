/**
 * Synthetic anomalies made from normal images, for self-supervised training (NSA, DRAEM-like methods):
 * {@link dev.anomalysdk.core.synthesis.AnomalySynthesizer} mixes
 * {@link dev.anomalysdk.core.synthesis.AnomalyGenerator}s (NSA patch transplant with
 * {@link dev.anomalysdk.core.synthesis.PoissonBlending}, {@link dev.anomalysdk.core.synthesis.ProceduralDefects}),
 * leaves part of the samples clean and produces soft labels that follow how visible each change is.
 * Everything is deterministic per {@link java.util.Random} state.
 */
package dev.anomalysdk.core.synthesis;
