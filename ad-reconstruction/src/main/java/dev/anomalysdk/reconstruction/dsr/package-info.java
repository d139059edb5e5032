/**
 * DSR, the dual subspace re-projection network (Zavrtanik et al., ECCV 2022): a two-codebook VQ model
 * (pretrained and loaded, or trained on the normal images), anomalies generated in its quantized feature space,
 * subspace restriction modules, an object-specific decoder, an anomaly detection module and an upsampling
 * module. Registered as {@code dsr}; see {@code docs/detectors/dsr.md}.
 */
package dev.anomalysdk.reconstruction.dsr;
