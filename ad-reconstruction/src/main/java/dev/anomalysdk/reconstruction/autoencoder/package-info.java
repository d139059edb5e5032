/**
 * The convolutional autoencoder baseline ({@code autoencoder}): reconstruction error (L2 or 1 - SSIM) as the
 * anomaly map. See {@code docs/detectors/autoencoder.md}.
 */
package dev.anomalysdk.reconstruction.autoencoder;
