package dev.anomalysdk.teacher.stfpm;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.teacher.MapAggregation;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration keys of {@link StfpmDetector}, with typed access. Defaults follow the official STFPM
 * code (gdwang08/STFPM main.py): ResNet-18 teacher and student, layers 1-3, 256 px square input, SGD with
 * learning rate 0.4, momentum 0.9 and weight decay 1e-4, batch 32, 100 epochs; per-layer maps multiplied;
 * 20 % of the training images held out and the epoch with the lowest mean validation map kept.
 */
final class StfpmConfig {
    static final Param<String> BACKBONE = Param.ofString("backbone", "resnet18", s -> !s.isBlank(),
            "a TorchScript ResNet file or URL exporting the chosen layers; or resnet18 / resnet50 / wide_resnet50_2 "
                    + "(random weights, optionally :width=K)",
            "Frozen teacher: an exported pretrained ResNet (tools/export_backbone.py --model resnet18 --layers "
                    + "layer1 layer2 layer3); the student has the same architecture, trained from scratch");
    static final Param<String> LAYERS = Param.ofString("layers", "layer1,layer2,layer3",
            s -> s.matches("layer[1-4](,layer[1-4])*"), "comma-separated ResNet layers (layer1 .. layer4)",
            "Teacher and student layers whose normalized features are compared");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, 32, 2048,
            "Side of the square network input in pixels (official: 256)");
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 100, 1, 100_000,
            "Training epochs over the training images (official: 100)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 32, 1, 1024,
            "Training mini-batch size (official: 32); inference uses at most 16");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 0.4, 1e-7, 10.0,
            "SGD learning rate, constant (official: 0.4)");
    static final Param<Double> MOMENTUM = Param.ofDouble("momentum", 0.9, 0.0, 0.999,
            "SGD momentum (official: 0.9)");
    static final Param<Double> WEIGHT_DECAY = Param.ofDouble("weight_decay", 1e-4, 0.0, 1.0,
            "SGD L2 weight decay (official: 1e-4)");
    static final Param<Double> VALIDATION_FRACTION = Param.ofDouble("validation_fraction", 0.2, 0.0, 0.9,
            "Share of the training images held out for model selection: the epoch whose student gives the lowest "
                    + "mean anomaly map on them is kept (official: 0.2); 0 keeps the last epoch");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes (0 = none); the run stops at the budget or after the epochs");
    static final Param<MapAggregation> MAP_AGGREGATION = Param.ofEnum("map_aggregation", MapAggregation.class,
            MapAggregation.PRODUCT, "How per-layer maps combine: product (paper and official code) or sum");
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 0.0, 0.0, 64.0,
            "Gaussian smoothing of the map in input pixels; 0 (official) disables");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (student initialization, batch order, calibration hold-out, random teacher weights)");
    static final Param<String> DEVICE = Param.ofString("device", "auto",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where teacher and student run; auto picks the first GPU when DJL has CUDA natives");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(BACKBONE, LAYERS, IMAGE_SIZE, EPOCHS, BATCH_SIZE, LEARNING_RATE,
            MOMENTUM, WEIGHT_DECAY, VALIDATION_FRACTION, MAX_MINUTES, MAP_AGGREGATION, BLUR_SIGMA, SEED, DEVICE));

    private final Config config;

    StfpmConfig(Config config) {
        this.config = config;
        List<String> l = layers();
        if (l.stream().distinct().count() != l.size()) {
            throw new IllegalArgumentException("Invalid value for 'layers': " + config.get(LAYERS)
                    + " (duplicate layer)");
        }
    }

    String backbone() {
        return config.get(BACKBONE);
    }

    /** @return the layers, shallow to deep */
    List<String> layers() {
        return Arrays.stream(config.get(LAYERS).split(","))
                .sorted((a, b) -> Integer.compare(ResNetBackbone.ALL_LAYERS.indexOf(a),
                        ResNetBackbone.ALL_LAYERS.indexOf(b)))
                .toList();
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int epochs() {
        return config.get(EPOCHS);
    }

    int batchSize() {
        return config.get(BATCH_SIZE);
    }

    double learningRate() {
        return config.get(LEARNING_RATE);
    }

    double momentum() {
        return config.get(MOMENTUM);
    }

    double weightDecay() {
        return config.get(WEIGHT_DECAY);
    }

    double validationFraction() {
        return config.get(VALIDATION_FRACTION);
    }

    double maxMinutes() {
        return config.get(MAX_MINUTES);
    }

    MapAggregation mapAggregation() {
        return config.get(MAP_AGGREGATION);
    }

    double blurSigma() {
        return config.get(BLUR_SIGMA);
    }

    long seed() {
        return config.get(SEED);
    }

    String device() {
        return config.get(DEVICE);
    }
}
