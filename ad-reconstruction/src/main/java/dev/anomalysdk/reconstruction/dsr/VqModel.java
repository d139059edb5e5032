package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.core.nn.AlignedConv2d;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DSR's discrete latent model, a two-level VQ-VAE (VQ-VAE-2 style) with widths as in the official
 * {@code DiscreteLatentModel}:
 * <ul>
 *   <li>high-level encoder (1/4 resolution): 4x4 stride-2 conv to {@code h/2}, ReLU, 4x4 stride-2 conv to
 *       {@code h}, ReLU, 3x3 conv, residual stack;</li>
 *   <li>low-level encoder (1/8): 4x4 stride-2 conv, ReLU, 3x3 conv, ReLU, residual stack; a 1x1 conv to the
 *       code dimension {@code E} and the low-level codebook {@code K_lo} give {@code Q_lo};</li>
 *   <li>{@code Q_lo} is upsampled by a transposed convolution ({@link TransposedConv2d}), concatenated after the
 *       high-level features, projected by a 1x1 conv to {@code E} and quantized with {@code K_hi}:
 *       {@code Q_hi};</li>
 *   <li>the general appearance decoder maps {@code [up(Q_lo), Q_hi]} back to an image: 3x3 conv to {@code h},
 *       residual stack, transposed conv to {@code h/2}, ReLU, transposed conv to 3 channels (no output
 *       activation).</li>
 * </ul>
 * Official setting: {@code h = 128}, residual stacks of 2 units with 64 hidden channels, {@code E = 128},
 * {@code K = 4096} per codebook. {@link #parameters()} names every parameter as the official checkpoint does.
 */
final class VqModel extends AbstractBlock {
    private final int hidden;
    private final int dim;
    private final SequentialBlock encoderHi;
    private final SequentialBlock encoderLo;
    private final Conv2d preLo;
    private final Conv2d preHi;
    private final VectorQuantizer quantizerLo;
    private final VectorQuantizer quantizerHi;
    private final TransposedConv2d upsampleLo;
    private final SequentialBlock decoder;
    private final Map<String, Parameter> named = new LinkedHashMap<>();
    private final Map<String, TransposedConv2d> transposed = new LinkedHashMap<>();

    /**
     * @param hidden encoder and decoder width {@code h} (even)
     * @param residualHidden hidden channels of the residual units
     * @param residualLayers residual units per stack
     * @param codes codes per codebook {@code K}
     * @param dim code dimension {@code E}
     * @param seed seeds the initial codebooks
     */
    VqModel(int hidden, int residualHidden, int residualLayers, int codes, int dim, long seed) {
        this.hidden = hidden;
        this.dim = dim;
        Conv2d e1 = conv(hidden / 2, 4, 2, 1, "_encoder_b._conv_1");
        Conv2d e2 = conv(hidden, 4, 2, 1, "_encoder_b._conv_2");
        Conv2d e3 = conv(hidden, 3, 1, 1, "_encoder_b._conv_3");
        ResidualStack eRes = residual(residualHidden, residualLayers, "_encoder_b._residual_stack");
        encoderHi = addChildBlock("encoder_hi", new SequentialBlock().add(e1).add(Activation.reluBlock()).add(e2)
                .add(Activation.reluBlock()).add(e3).add(eRes));
        Conv2d t1 = conv(hidden, 4, 2, 1, "_encoder_t._conv_1");
        Conv2d t2 = conv(hidden, 3, 1, 1, "_encoder_t._conv_2");
        ResidualStack tRes = residual(residualHidden, residualLayers, "_encoder_t._residual_stack");
        encoderLo = addChildBlock("encoder_lo", new SequentialBlock().add(t1).add(Activation.reluBlock()).add(t2)
                .add(Activation.reluBlock()).add(tRes));
        preLo = addChildBlock("pre_vq_lo", conv(dim, 1, 1, 0, "_pre_vq_conv_top"));
        preHi = addChildBlock("pre_vq_hi", conv(dim, 1, 1, 0, "_pre_vq_conv_bot"));
        quantizerLo = addChildBlock("quantizer_lo", new VectorQuantizer(codes, dim, seed));
        quantizerHi = addChildBlock("quantizer_hi", new VectorQuantizer(codes, dim, seed + 1));
        for (String[] q : new String[][] {{"_vq_vae_top", "lo"}, {"_vq_vae_bot", "hi"}}) {
            VectorQuantizer vq = q[1].equals("lo") ? quantizerLo : quantizerHi;
            named.put(q[0] + "._embedding.weight", vq.codebook());
            named.put(q[0] + "._ema_w", vq.emaSums());
            named.put(q[0] + "._ema_cluster_size", vq.clusterSizes());
        }
        upsampleLo = addChildBlock("upsample_lo", transposedConv(dim, "upsample_t"));
        Conv2d d1 = conv(hidden, 3, 1, 1, "_decoder_b._conv_1");
        ResidualStack dRes = residual(residualHidden, residualLayers, "_decoder_b._residual_stack");
        decoder = addChildBlock("decoder", new SequentialBlock().add(d1).add(dRes)
                .add(transposedConv(hidden / 2, "_decoder_b._conv_trans_1")).add(Activation.reluBlock())
                .add(transposedConv(3, "_decoder_b._conv_trans_2")));
    }

    private Conv2d conv(int filters, int kernel, int stride, int padding, String officialName) {
        Conv2d c = AlignedConv2d.of(Conv2d.builder().setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding)).setFilters(filters));
        named.put(officialName + ".weight", c.getParameters().get("weight"));
        named.put(officialName + ".bias", c.getParameters().get("bias"));
        return c;
    }

    private TransposedConv2d transposedConv(int filters, String officialName) {
        TransposedConv2d t = new TransposedConv2d(filters);
        named.put(officialName + ".weight", t.weight());
        named.put(officialName + ".bias", t.bias());
        transposed.put(officialName + ".weight", t);
        return t;
    }

    private ResidualStack residual(int residualHidden, int layers, String officialName) {
        ResidualStack r = new ResidualStack(hidden, residualHidden, layers);
        List<Conv2d[]> convs = r.convolutions();
        for (int i = 0; i < convs.size(); i++) {
            named.put(officialName + "._layers." + i + "._block.1.weight", convs.get(i)[0].getParameters().get("weight"));
            named.put(officialName + "._layers." + i + "._block.3.weight", convs.get(i)[1].getParameters().get("weight"));
        }
        return r;
    }

    /** @return every parameter under its name in the official checkpoint, in a fixed order */
    Map<String, Parameter> parameters() {
        return named;
    }

    /** @return whether the named parameter is a transposed convolution weight (stored in our layout) */
    boolean isTransposedWeight(String officialName) {
        return transposed.containsKey(officialName);
    }

    /** @return the low-level codebook K_lo */
    VectorQuantizer quantizerLo() {
        return quantizerLo;
    }

    /** @return the high-level codebook K_hi */
    VectorQuantizer quantizerHi() {
        return quantizerHi;
    }

    /** Turns the EMA codebook updates on or off (the VQ training stage). */
    void updating(boolean on) {
        quantizerLo.updating(on);
        quantizerHi.updating(on);
    }

    /**
     * The features of an image batch.
     *
     * @param encHi high-level encoder output, N x h x S/4 x S/4
     * @param zLo low-level features before quantization, N x E x S/8 x S/8
     * @param qLo their quantization Q_lo
     */
    record Encoded(NDArray encHi, NDArray zLo, NDArray qLo) { }

    /** Runs both encoders and quantizes the low level. */
    Encoded encode(ParameterStore store, NDArray x, boolean training) {
        NDArray encHi = encoderHi.forward(store, new NDList(x), training).head();
        NDArray encLo = encoderLo.forward(store, new NDList(encHi), training).head();
        NDArray zLo = preLo.forward(store, new NDList(encLo), training).head();
        NDArray qLo = quantizerLo.forward(store, new NDList(zLo), training).head();
        return new Encoded(encHi, zLo, qLo);
    }

    /** @return the high-level features before quantization given the low-level codes {@code qLo} */
    NDArray highFeatures(ParameterStore store, NDArray encHi, NDArray qLo, boolean training) {
        NDArray up = upsample(store, qLo, training);
        return preHi.forward(store, new NDList(NDArrays.concat(new NDList(encHi, up), 1)), training).head();
    }

    /** @return Q_lo upsampled to the high-level resolution */
    NDArray upsample(ParameterStore store, NDArray qLo, boolean training) {
        return upsampleLo.forward(store, new NDList(qLo), training).head();
    }

    /** @return {@code z} quantized with K_hi (straight-through gradient) */
    NDArray quantizeHi(ParameterStore store, NDArray z, boolean training) {
        return quantizerHi.forward(store, new NDList(z), training).head();
    }

    /** @return {@code z} quantized with K_lo (straight-through gradient) */
    NDArray quantizeLo(ParameterStore store, NDArray z, boolean training) {
        return quantizerLo.forward(store, new NDList(z), training).head();
    }

    /** @return the general appearance decoder's image from Q_lo and Q_hi */
    NDArray decode(ParameterStore store, NDArray qLo, NDArray qHi, boolean training) {
        NDArray joined = NDArrays.concat(new NDList(upsample(store, qLo, training), qHi), 1);
        return decoder.forward(store, new NDList(joined), training).head();
    }

    /** Inference: {@code [reconstruction, zLo, Q_lo, zHi, Q_hi]}. */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        Encoded e = encode(store, inputs.head(), training);
        NDArray zHi = highFeatures(store, e.encHi(), e.qLo(), training);
        NDArray qHi = quantizeHi(store, zHi, training);
        return new NDList(decode(store, e.qLo(), qHi, training), e.zLo(), e.qLo(), zHi, qHi);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long n = in.get(0);
        long s4h = in.get(2) / 4;
        long s4w = in.get(3) / 4;
        Shape lo = new Shape(n, dim, s4h / 2, s4w / 2);
        Shape hi = new Shape(n, dim, s4h, s4w);
        return new Shape[] {new Shape(n, 3, in.get(2), in.get(3)), lo, lo, hi, hi};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        long n = in.get(0);
        long h4 = in.get(2) / 4;
        long w4 = in.get(3) / 4;
        encoderHi.initialize(manager, dataType, in);
        encoderLo.initialize(manager, dataType, new Shape(n, hidden, h4, w4));
        preLo.initialize(manager, dataType, new Shape(n, hidden, h4 / 2, w4 / 2));
        quantizerLo.initialize(manager, dataType, new Shape(n, dim, h4 / 2, w4 / 2));
        upsampleLo.initialize(manager, dataType, new Shape(n, dim, h4 / 2, w4 / 2));
        preHi.initialize(manager, dataType, new Shape(n, hidden + dim, h4, w4));
        quantizerHi.initialize(manager, dataType, new Shape(n, dim, h4, w4));
        decoder.initialize(manager, dataType, new Shape(n, 2 * dim, h4, w4));
    }

    @Override
    public String toString() {
        return "VqModel(hidden " + hidden + ", " + quantizerLo + " x 2)";
    }
}
