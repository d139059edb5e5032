package dev.anomalysdk.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * DJL's {@link Conv2d} block computed by {@link AlignedConvolution}: same options, parameters ({@code weight},
 * {@code bias}) and saved form, correct on the machines where oneDNN mishandles partly filled channel blocks.
 * Every convolution block the SDK builds is one of these: {@code AlignedConv2d.of(Conv2d.builder()...)}.
 */
public final class AlignedConv2d extends Conv2d {

    private AlignedConv2d(Conv2d.Builder builder) {
        super(builder);
    }

    /**
     * @param builder a configured DJL builder (validated as {@link Conv2d.Builder#build()} does)
     * @return the block
     */
    public static AlignedConv2d of(Conv2d.Builder builder) {
        builder.build(); // validates the options
        return new AlignedConv2d(builder);
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        Device device = input.getDevice();
        NDArray w = parameterStore.getValue(weight, device, training);
        NDArray b = includeBias ? parameterStore.getValue(bias, device, training) : null;
        return new NDList(AlignedConvolution.conv2d(input, w, b, stride, padding, dilation, groups));
    }
}
