/**
 * The {@code nsa} detector: a residual U-Net trained from scratch on normal images with natural synthetic
 * anomalies (Schlüter et al., ECCV 2022). See {@link dev.anomalysdk.reconstruction.nsa.NsaDetector} and
 * {@code docs/detectors/nsa.md}.
 */
package dev.anomalysdk.reconstruction.nsa;
