/**
 * Building blocks shared by the reconstruction detectors: the convolutional
 * {@link dev.anomalysdk.reconstruction.components.EncoderDecoder} (U-Net with or without skips, optional
 * bottleneck), differentiable {@link dev.anomalysdk.reconstruction.components.Ssim}, the
 * {@link dev.anomalysdk.reconstruction.components.ReconstructionTask} and the train/score/save life cycle of
 * {@link dev.anomalysdk.core.training.NetworkDetector}.
 */
package dev.anomalysdk.reconstruction.components;
