/**
 * DRAEM (Zavrtanik et al., ICCV 2021): a reconstructive and a discriminative network trained from scratch on
 * Perlin-masked synthetic anomalies ({@link dev.anomalysdk.core.synthesis.DraemAugmenter}). Registered as
 * {@code draem}; see {@code docs/detectors/draem.md}.
 */
package dev.anomalysdk.reconstruction.draem;
