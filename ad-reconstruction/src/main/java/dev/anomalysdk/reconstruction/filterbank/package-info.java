/**
 * The {@code filter_bank} detector: a training-free floor after AnomalyHop (successive subspace learning
 * with PCA filter banks and per-position Gaussians). See
 * {@link dev.anomalysdk.reconstruction.filterbank.FilterBankDetector} and {@code docs/detectors/filter_bank.md}.
 */
package dev.anomalysdk.reconstruction.filterbank;
