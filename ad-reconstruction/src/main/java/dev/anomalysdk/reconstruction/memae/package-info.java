/**
 * MemAE (Gong et al., ICCV 2019), the memory-augmented autoencoder ({@code memae}). See
 * {@code docs/detectors/memae.md}.
 */
package dev.anomalysdk.reconstruction.memae;
