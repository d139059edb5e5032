/**
 * Network building blocks shared by every method family that builds DJL networks. Every convolution the SDK
 * runs goes through {@link dev.anomalysdk.core.nn.AlignedConvolution} (or the block
 * {@link dev.anomalysdk.core.nn.AlignedConv2d}), which keeps libtorch's oneDNN kernels away from channel
 * counts they compute wrongly on some machines.
 */
package dev.anomalysdk.core.nn;
