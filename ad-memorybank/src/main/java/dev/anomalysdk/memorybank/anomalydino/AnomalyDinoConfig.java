package dev.anomalysdk.memorybank.anomalydino;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;

/**
 * The configuration keys of {@link AnomalyDinoDetector}, with typed access. Defaults follow the method card
 * (official AnomalyDINO code): DINOv2 ViT-S/14 patch tokens, smaller edge 448, 8 rotations of each reference,
 * cosine 1-NN, mean of the top 1 % patch distances, Gaussian sigma 4, masking off (on only for some categories
 * in the paper), mask threshold 10, references = the first k sorted training images offset by seed * k.
 */
final class AnomalyDinoConfig {
    static final double BLUR_SIGMA = 4.0;
    /** Image score = mean of this share of the largest patch distances (max below 100 patches). */
    static final double TOP_SHARE = 0.01;
    /** Number of reference rotations (0, 45, ..., 315 degrees). */
    static final int ROTATIONS = 8;

    static final Param<String> BACKBONE = Param.ofString("backbone", "dinov2_vits14.pt", s -> !s.isBlank(),
            "a TorchScript file or URL of a ViT returning patch tokens (NCHW grid or N x tokens x C)",
            "DINOv2 ViT-S/14 exported with tools/export_backbone.py --model timm:vit_small_patch14_dinov2.lvd142m "
                    + "--layers 11 --vit-norm --image-size 448 (any Backbones spec works, e.g. a ResNet)");
    static final Param<String> LAYER = Param.ofString("layer", "", s -> s.isEmpty() || s.matches("[A-Za-z0-9_.]+"),
            "a layer name, or empty for the backbone's deepest", "Backbone output used as patch features");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 448, 14, 4096,
            "Smaller image edge after resizing (paper: 448, also 672); sides are then cropped to multiples of "
                    + "the patch size");
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
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 8, 1, 1024,
            "Images per backbone forward pass");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed: chooses the few-shot references (offset seed * shots) and the calibration hold-out");
    static final Param<String> DEVICE = Param.ofString("device", "cpu",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where the backbone runs");

    static final java.util.List<Param<?>> ALL = java.util.List.of(BACKBONE, LAYER, IMAGE_SIZE, SHOTS,
            ROTATE_REFERENCES, MASKING, MASK_THRESHOLD, BATCH_SIZE, SEED, DEVICE);

    private final Config config;

    AnomalyDinoConfig(Config config) {
        this.config = config;
    }

    String backbone() {
        String spec = config.get(BACKBONE);
        String head = spec.split(":", 2)[0];
        boolean builtIn = head.equals("resnet18") || head.equals("resnet50") || head.equals("wide_resnet50_2");
        if (builtIn && !spec.contains(":seed=")) {
            return spec + ":seed=" + seed();
        }
        return spec;
    }

    String layer() {
        return config.get(LAYER);
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int shots() {
        return config.get(SHOTS);
    }

    boolean rotateReferences() {
        return config.get(ROTATE_REFERENCES);
    }

    boolean masking() {
        return config.get(MASKING);
    }

    double maskThreshold() {
        return config.get(MASK_THRESHOLD);
    }

    int batchSize() {
        return config.get(BATCH_SIZE);
    }

    long seed() {
        return config.get(SEED);
    }

    String device() {
        return config.get(DEVICE);
    }
}
