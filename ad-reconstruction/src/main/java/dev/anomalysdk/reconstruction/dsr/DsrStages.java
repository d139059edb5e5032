package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.anomalysdk.reconstruction.components.FocalLoss;

/**
 * The training-time forward passes of DSR's stages 2 and 3 as blocks over an initialized {@link DsrNetwork}
 * (stage 1 trains the {@link VqModel} block itself). The detector freezes the modules a stage does not train.
 */
final class DsrStages {
    /** Weight of the object-specific image L2 in the stage-2 loss (official 10). */
    static final float IMAGE_LOSS_WEIGHT = 10;
    /** Weight of the commitment loss of each codebook in the VQ stage (official 0.25). */
    static final float COMMITMENT = 0.25f;

    private DsrStages() {}

    /** Stage-1 loss: {@code L2(reconstruction, image) + 0.25 (L2(z_lo, sg Q_lo) + L2(z_hi, sg Q_hi))}. */
    static NDArray vqLoss(NDList predictions, NDList labels) {
        NDArray recon = predictions.get(0);
        NDArray commit = mse(predictions.get(1), predictions.get(2).stopGradient())
                .add(mse(predictions.get(3), predictions.get(4).stopGradient()));
        return mse(recon, labels.head()).add(commit.mul(COMMITMENT));
    }

    private static NDArray mse(NDArray a, NDArray b) {
        return a.sub(b).square().mean();
    }

    /** A block over the network whose parameters are already initialized. */
    private abstract static class Stage extends AbstractBlock {
        final DsrNetwork network;

        Stage(DsrNetwork network) {
            this.network = addChildBlock("dsr", network);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            // The network is initialized (and partly frozen) before the stage starts.
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            throw new UnsupportedOperationException("training-only block");
        }
    }

    /**
     * Stage 2. Inputs: {@code [image, mask (N x 1 x S x S), lo ranks, hi ranks (int64, N h w x 1), use lo,
     * use hi (N x 1 x 1 x 1 in {0, 1})]}. Anomalies are made on the low level, the high level or both (the
     * high-level codes then derive from the anomalous low level), as the official code does with
     * probabilities 1/4, 1/4, 1/2. Outputs: {@code [restored hi features, restored lo features, object image,
     * detection logits, normal Q_hi, normal Q_lo, target mask]}.
     */
    static final class Restoration extends Stage {
        Restoration(DsrNetwork network) {
            super(network);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList in, boolean training,
                PairList<String, Object> params) {
            NDArray image = in.get(0);
            NDArray mask = in.get(1);
            NDArray useLo = in.get(4);
            NDArray useHi = in.get(5);
            VqModel vq = network.vq();
            VqModel.Encoded e = vq.encode(store, image, false);
            NDArray qLo = e.qLo().stopGradient();
            NDArray anomalousLo = QuantizedAnomalies.generate(vq.quantizerLo(), e.zLo(), qLo, mask, in.get(2));
            NDArray lo = blend(useLo, anomalousLo, qLo);
            NDArray zHi = vq.highFeatures(store, e.encHi(), lo, false).stopGradient();
            NDArray qHi = vq.quantizeHi(store, zHi, false).stopGradient();
            NDArray qHiNormal = vq.quantizeHi(store, vq.highFeatures(store, e.encHi(), qLo, false), false)
                    .stopGradient();
            NDArray anomalousHi = QuantizedAnomalies.generate(vq.quantizerHi(), zHi, qHi, mask, in.get(3));
            NDArray hi = blend(useHi, anomalousHi, qHiNormal);
            NDArray[] restoredHi = network.restoreHi(store, hi, training);
            NDArray[] restoredLo = network.restoreLo(store, lo, training);
            NDArray general = vq.decode(store, lo, hi, false).stopGradient();
            NDArray object = network.objectImage(store, restoredLo[1], restoredHi[1], training);
            NDArray logits = network.detect(store, object.stopGradient(), general, training);
            // Target: the mask at the resolution of the level that was changed (low when both were).
            NDArray target = blend(useLo, blocky(mask, qLo.getShape().get(2)), blocky(mask, qHi.getShape().get(2)));
            return new NDList(restoredHi[0], restoredLo[0], object, logits, qHiNormal, qLo, target);
        }

        /** @return {@code select * a + (1 - select) * b} */
        private static NDArray blend(NDArray select, NDArray a, NDArray b) {
            return a.mul(select).add(b.mul(select.neg().add(1)));
        }

        /** @return the mask max-pooled to {@code side} and repeated back to its resolution */
        private static NDArray blocky(NDArray mask, long side) {
            long ratio = mask.getShape().get(2) / side;
            return QuantizedAnomalies.pool(mask, side).repeat(2, ratio).repeat(3, ratio);
        }

        /**
         * Stage-2 loss: {@code L2(restored hi, Q_hi) + L2(restored lo, Q_lo) + 10 L2(image, object image)
         * + focal(detection, target)}.
         */
        static NDArray loss(NDList p, NDList labels) {
            NDArray features = mse(p.get(0), p.get(4)).add(mse(p.get(1), p.get(5)));
            NDArray image = mse(labels.head(), p.get(2)).mul(IMAGE_LOSS_WEIGHT);
            return features.add(image).add(FocalLoss.of(p.get(3), p.get(6)));
        }
    }

    /** Stage 3: the inference path on an image with an image-space anomaly; only the upsampling module trains. */
    static final class Upsampling extends Stage {
        Upsampling(DsrNetwork network) {
            super(network);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList in, boolean training,
                PairList<String, Object> params) {
            return network.infer(store, in.head(), training);
        }

        /** Stage-3 loss: focal loss of the upsampling module's logits against the full-resolution mask. */
        static NDArray loss(NDList p, NDList labels) {
            return FocalLoss.of(p.get(1), labels.head());
        }
    }
}
