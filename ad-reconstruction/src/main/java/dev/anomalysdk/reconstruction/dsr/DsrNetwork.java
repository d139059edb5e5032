package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.reconstruction.components.EncoderDecoder;

/**
 * All of DSR (Zavrtanik, Kristan, Skocaj, ECCV 2022) as one block, for inference and saving:
 * <ul>
 *   <li>{@link VqModel}: the discrete latent model, frozen after stage 1;</li>
 *   <li>two subspace restriction modules (hi, lo): encoder-decoders on the quantized features (3 levels,
 *       widths {@code E, 2E, 4E}, instance norm, no skips) whose outputs are re-quantized with the matching
 *       codebook, restoring anomalous codes to normal ones;</li>
 *   <li>the object-specific decoder ({@link ObjectDecoder}) from the restored codes to an image;</li>
 *   <li>the anomaly detection module: a U-Net (4 levels, widths {@code d, 2d, 4d, 4d}, instance norm, skips)
 *       on [object-specific image, general appearance image] giving 2-class logits;</li>
 *   <li>the upsampling module: the same U-Net shape on [object image, general image, detection softmax]
 *       (8 channels), refining the mask at full resolution.</li>
 * </ul>
 * Inference output: {@code [detection logits, upsampling logits]}, both N x 2 x S x S.
 */
final class DsrNetwork extends AbstractBlock {
    private final int dim;
    private final VqModel vq;
    private final EncoderDecoder restrictHi;
    private final EncoderDecoder restrictLo;
    private final ObjectDecoder objectDecoder;
    private final EncoderDecoder detection;
    private final EncoderDecoder upsampling;

    /**
     * @param vq the discrete latent model
     * @param dim its code dimension E
     * @param hidden its width h
     * @param residualHidden hidden channels of its residual units
     * @param residualLayers residual units per stack
     * @param detectionWidth base width d of the anomaly detection module (official 64)
     * @param upsamplingWidth base width of the upsampling module (official 64)
     */
    DsrNetwork(VqModel vq, int dim, int hidden, int residualHidden, int residualLayers, int detectionWidth,
            int upsamplingWidth) {
        this.dim = dim;
        this.vq = addChildBlock("vq", vq);
        int[] restrict = {dim, 2 * dim, 4 * dim};
        restrictHi = addChildBlock("restrict_hi",
                new EncoderDecoder(restrict, dim, false, false, null, EncoderDecoder.Norm.INSTANCE));
        restrictLo = addChildBlock("restrict_lo",
                new EncoderDecoder(restrict, dim, false, false, null, EncoderDecoder.Norm.INSTANCE));
        objectDecoder = addChildBlock("object_decoder", new ObjectDecoder(dim, hidden, residualHidden, residualLayers));
        detection = addChildBlock("detection", unet(detectionWidth));
        upsampling = addChildBlock("upsampling", unet(upsamplingWidth));
    }

    private static EncoderDecoder unet(int base) {
        return new EncoderDecoder(new int[] {base, 2 * base, 4 * base, 4 * base}, 2, true, false, null,
                EncoderDecoder.Norm.INSTANCE);
    }

    VqModel vq() {
        return vq;
    }

    /** @return the modules trained in stage 2 */
    Block[] stageTwoModules() {
        return new Block[] {restrictHi, restrictLo, objectDecoder, detection};
    }

    /** @return the module trained in stage 3 */
    Block upsampling() {
        return upsampling;
    }

    /** @return the anomaly detection module and the object-specific decoder (N(0, 0.02) initial weights) */
    Block[] gaussianInitialized() {
        return new Block[] {objectDecoder, detection};
    }

    /** Restores quantized codes to normal ones and re-quantizes: {@code [restored features, restored codes]}. */
    NDArray[] restoreHi(ParameterStore store, NDArray qHi, boolean training) {
        NDArray f = restrictHi.forward(store, new NDList(qHi), training).head();
        return new NDArray[] {f, vq.quantizeHi(store, f, training)};
    }

    /** As {@link #restoreHi} for the low level. */
    NDArray[] restoreLo(ParameterStore store, NDArray qLo, boolean training) {
        NDArray f = restrictLo.forward(store, new NDList(qLo), training).head();
        return new NDArray[] {f, vq.quantizeLo(store, f, training)};
    }

    /** @return the object-specific decoder's image from (restored) codes */
    NDArray objectImage(ParameterStore store, NDArray qLo, NDArray qHi, boolean training) {
        NDArray joined = NDArrays.concat(new NDList(vq.upsample(store, qLo, training), qHi), 1);
        return objectDecoder.forward(store, new NDList(joined), training).head();
    }

    /** @return the anomaly detection module's logits */
    NDArray detect(ParameterStore store, NDArray objectImage, NDArray generalImage, boolean training) {
        NDArray in = NDArrays.concat(new NDList(objectImage, generalImage), 1);
        return detection.forward(store, new NDList(in), training).head();
    }

    /**
     * The inference path on an image batch: quantize, restore, decode both ways, detect, refine.
     *
     * @return {@code [detection logits, upsampling logits]}
     */
    NDList infer(ParameterStore store, NDArray x, boolean training) {
        VqModel.Encoded e = vq.encode(store, x, false);
        NDArray qHi = vq.quantizeHi(store, vq.highFeatures(store, e.encHi(), e.qLo(), false), false);
        NDArray general = vq.decode(store, e.qLo(), qHi, false);
        NDArray object = objectImage(store, restoreLo(store, e.qLo(), false)[1], restoreHi(store, qHi, false)[1],
                false);
        NDArray detected = detect(store, object, general, false);
        NDArray in = NDArrays.concat(new NDList(object, general, detected.softmax(1)), 1);
        NDArray refined = upsampling.forward(store, new NDList(in), training).head();
        return new NDList(detected, refined);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return infer(store, inputs.head(), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        Shape out = new Shape(in.get(0), 2, in.get(2), in.get(3));
        return new Shape[] {out, out};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        long n = in.get(0);
        long h4 = in.get(2) / 4;
        long w4 = in.get(3) / 4;
        vq.initialize(manager, dataType, in);
        restrictHi.initialize(manager, dataType, new Shape(n, dim, h4, w4));
        restrictLo.initialize(manager, dataType, new Shape(n, dim, h4 / 2, w4 / 2));
        objectDecoder.initialize(manager, dataType, new Shape(n, 2 * dim, h4, w4));
        detection.initialize(manager, dataType, new Shape(n, 6, in.get(2), in.get(3)));
        upsampling.initialize(manager, dataType, new Shape(n, 8, in.get(2), in.get(3)));
    }

    @Override
    public String toString() {
        return "DsrNetwork(" + vq + ", restriction width " + dim + ", " + detection + ", " + upsampling + ")";
    }
}
