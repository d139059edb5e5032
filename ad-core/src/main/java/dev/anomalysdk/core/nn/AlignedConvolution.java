package dev.anomalysdk.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * 2-D convolution that hands oneDNN only channel counts that fill its 16-channel blocks, with the same result
 * (forward and gradients) as a plain convolution.
 *
 * <p>Why: libtorch 2.7.1 (DJL 0.35.1) runs float32 CPU convolutions in oneDNN 3.7.1, which stores channels in
 * blocks of 16 (8 without AVX-512). On some machines (seen on AMD EPYC Zen 5 virtual machines; an AVX2 ISA cap
 * does not help, PyTorch 1.13's oneDNN 2.6 is fine) the padding lanes of a partly filled block hold stale data:
 * the input gradient of a convolution whose output channels are not a multiple of 16 is wrong or NaN (even a
 * 1-channel head), and with more than a few input channels that are not a multiple of 16 the output and weight
 * gradient are wrong too. Depthwise convolutions are not affected. Here the weight gets zero output channels
 * (sliced off the result) and, above {@value #PLAIN_INPUT_CHANNELS} channels, the input and weight get zero input
 * channels, so every block is full; the extra zeros change no value. Applied on every CPU (not detected), so a
 * model computes the same everywhere; parameters keep their own shapes, so saved models are unaffected.
 * Measured and tested in {@code AlignedConvolutionTest}; see {@code docs/platforms.md}.
 */
public final class AlignedConvolution {
    /** oneDNN's widest channel block (AVX-512); a multiple of the AVX2 block of 8. */
    static final int BLOCK = 16;
    /** Up to this many input channels oneDNN reads the input unblocked (observed up to 12; kept lower). */
    static final int PLAIN_INPUT_CHANNELS = 4;

    private AlignedConvolution() {}

    /**
     * Same contract as {@link Conv2d#conv2d(NDArray, NDArray, NDArray, Shape, Shape, Shape, int)}.
     *
     * @param input {@code N x C x H x W}
     * @param weight {@code O x C/groups x kH x kW}
     * @param bias {@code O}, or null
     * @param stride stride
     * @param padding zero padding
     * @param dilation dilation
     * @param groups groups (channels are aligned only for 1; grouped and depthwise convolutions run as given)
     * @return {@code N x O x H' x W'}
     */
    public static NDArray conv2d(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding,
            Shape dilation, int groups) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        boolean affected = groups == 1 && Device.Type.CPU.equals(input.getDevice().getDeviceType())
                && input.getDataType() == DataType.FLOAT32;
        long padIn = affected && in > PLAIN_INPUT_CHANNELS ? padding(in) : 0;
        long padOut = affected ? padding(out) : 0;
        // Temporaries belong to the input's (scoped) manager, never to the parameters' long-lived one.
        NDManager scope = input.getManager();
        NDArray x = padIn > 0 ? zeroPad(input, 1, padIn, scope) : input;
        NDArray w = padIn > 0 ? zeroPad(weight, 1, padIn, scope) : weight;
        NDArray b = bias;
        if (padOut > 0) {
            w = zeroPad(w, 0, padOut, scope);
            b = bias == null ? null : zeroPad(bias, 0, padOut, scope);
        }
        NDArray y = Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).head();
        return padOut > 0 ? y.get(":, :{}", out) : y;
    }

    /** @return {@code a} with {@code extra} zero slices appended along {@code axis}, owned by {@code scope} */
    private static NDArray zeroPad(NDArray a, int axis, long extra, NDManager scope) {
        long[] shape = a.getShape().getShape().clone(); // getShape() exposes the array's own
        shape[axis] = extra;
        NDArray padded = a.concat(scope.zeros(new Shape(shape), a.getDataType(), a.getDevice()), axis);
        padded.attach(scope);
        return padded;
    }

    private static long padding(long channels) {
        return (BLOCK - channels % BLOCK) % BLOCK;
    }
}
