package dev.anomalysdk.memorybank.anomalydino;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.Backbones;
import java.util.List;

/**
 * AnomalyDINO's options, validated. Defaults follow the method card (official AnomalyDINO code): DINOv2
 * ViT-S/14 patch tokens, smaller edge 448, 8 rotations of each reference, cosine 1-NN, mean of the top 1 % patch
 * distances, map smoothing sigma 4, masking off (on only for some categories in the paper), mask threshold 10,
 * references = the first k sorted training images offset by seed * k.
 *
 * @param backbone backbone location or built-in name, with the seed given to a built-in one
 * @param layer backbone output used as patch features, empty = the deepest
 * @param imageSize smaller image edge after resizing
 * @param shots reference images, 0 = all
 * @param rotateReferences whether each reference is added in 8 rotations
 * @param masking whether only foreground patches of test images are scored
 * @param maskThreshold foreground threshold on the first principal component
 * @param batchSize reference views per forward pass
 * @param seed random seed (reference offset)
 * @param device where the backbone runs
 */
record AnomalyDinoOptions(String backbone, String layer, int imageSize, int shots, boolean rotateReferences,
        boolean masking, double maskThreshold, int batchSize, long seed, String device) {
    /** Image score = mean of this share of the largest patch distances (max below 100 patches). */
    static final double TOP_SHARE = 0.01;
    /** Number of reference rotations (0, 45, ..., 315 degrees). */
    static final int ROTATIONS = 8;

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("dinov2_vits14.pt");
    static final Param<String> LAYER = Param.ofString("layer", "", s -> s.isEmpty() || s.matches("[A-Za-z0-9_.]+"),
            "a layer name, or empty for the backbone's deepest", "Backbone output used as patch features");
    /** The smaller edge (paper: 448, also 672); sides are then cropped to multiples of the patch size. */
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(448);
    static final Param<Integer> SHOTS = Param.ofInt("shots", 1, 0, 100_000,
            "Reference images: the first k training images sorted by id, offset by seed * k (paper: 1, 2, 4, 8, "
                    + "16); 0 = every training image");
    static final Param<Boolean> ROTATE_REFERENCES = Param.ofBoolean("rotate_references", true,
            "Add each reference rotated by 45, 90, ..., 315 degrees to the memory bank (the paper's default "
                    + "'agnostic' preprocessing)");
    static final Param<Boolean> MASKING = Param.ofBoolean("masking", false,
            "Score only foreground patches of test images: first principal component of the image's patch "
                    + "tokens above mask_threshold (paper: on for capsule, hazelnut, pill, screw, toothbrush, VisA)");
    static final Param<Double> MASK_THRESHOLD = Param.ofDouble("mask_threshold", 10.0, -1e9, 1e9,
            "Foreground threshold on the first principal component (10 for DINOv2 features)");

    static final List<Param<?>> PARAMS = List.of(BACKBONE, LAYER, IMAGE_SIZE, SHOTS, ROTATE_REFERENCES, MASKING,
            MASK_THRESHOLD, SharedParams.MAP_SIGMA, SharedParams.BATCH_SIZE, SharedParams.SEED, SharedParams.DEVICE);

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static AnomalyDinoOptions of(Config c) {
        long seed = c.get(SharedParams.SEED);
        return new AnomalyDinoOptions(Backbones.seeded(c.get(BACKBONE), seed), c.get(LAYER), c.get(IMAGE_SIZE),
                c.get(SHOTS), c.get(ROTATE_REFERENCES), c.get(MASKING), c.get(MASK_THRESHOLD),
                c.get(SharedParams.BATCH_SIZE), seed, c.get(SharedParams.DEVICE));
    }
}
