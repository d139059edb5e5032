package dev.anomalysdk.teacher.stfpm;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.teacher.components.MapAggregation;
import java.util.Arrays;
import java.util.List;

/**
 * STFPM's options, validated. Defaults follow the official STFPM code (gdwang08/STFPM main.py): ResNet-18
 * teacher and student, layers 1-3, 256 px square input, SGD with learning rate 0.4, momentum 0.9 and weight
 * decay 1e-4, batch 32, 100 epochs; per-layer maps multiplied, no smoothing; 20 % of the training images held
 * out and the epoch with the lowest mean validation map kept.
 *
 * @param backbone the teacher's {@code backbone} spec
 * @param layers compared layers, shallow to deep
 * @param imageSize side of the square network input
 * @param epochs training epochs
 * @param batchSize training mini-batch size
 * @param learningRate SGD learning rate
 * @param momentum SGD momentum
 * @param weightDecay SGD L2 weight decay
 * @param validationFraction share of the training images held out for model selection
 * @param maxMinutes wall-clock training budget, 0 = none
 * @param mapAggregation how the per-layer maps combine
 * @param seed random seed
 * @param device where teacher and student run
 */
record StfpmOptions(String backbone, List<String> layers, int imageSize, int epochs, int batchSize,
        double learningRate, double momentum, double weightDecay, double validationFraction, double maxMinutes,
        MapAggregation mapAggregation, long seed, String device) {
    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("resnet18");
    static final Param<String> LAYERS = Param.ofString("layers", "layer1,layer2,layer3",
            s -> s.matches("layer[1-4](,layer[1-4])*"), "comma-separated ResNet layers (layer1 .. layer4)",
            "Teacher and student layers whose normalized features are compared");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
    static final Param<Integer> EPOCHS = SharedParams.EPOCHS.withDefault(100);
    static final Param<Integer> BATCH_SIZE = SharedParams.BATCH_SIZE.withDefault(32);
    static final Param<Double> LEARNING_RATE = SharedParams.LEARNING_RATE.withDefault(0.4);
    static final Param<Double> MOMENTUM = Param.ofDouble("momentum", 0.9, 0.0, 0.999,
            "SGD momentum (official: 0.9)");
    static final Param<Double> WEIGHT_DECAY = Param.ofDouble("weight_decay", 1e-4, 0.0, 1.0,
            "SGD L2 weight decay (official: 1e-4)");
    static final Param<Double> VALIDATION_FRACTION = Param.ofDouble("validation_fraction", 0.2, 0.0, 0.9,
            "Share of the training images held out for model selection: the epoch whose student gives the lowest "
                    + "mean anomaly map on them is kept (official: 0.2); 0 keeps the last epoch");
    static final Param<MapAggregation> MAP_AGGREGATION = Param.ofEnum("map_aggregation", MapAggregation.class,
            MapAggregation.PRODUCT, "How per-layer maps combine: product (paper and official code) or sum");
    static final Param<Double> MAP_SIGMA = SharedParams.MAP_SIGMA.withDefault(0.0);
    static final Param<String> DEVICE = SharedParams.DEVICE.withDefault("auto");

    static final List<Param<?>> PARAMS = TrainingControl.withControlParams(List.of(BACKBONE, LAYERS, IMAGE_SIZE,
            EPOCHS, BATCH_SIZE, LEARNING_RATE, MOMENTUM, WEIGHT_DECAY, VALIDATION_FRACTION, SharedParams.MAX_MINUTES,
            MAP_AGGREGATION, MAP_SIGMA, SharedParams.SEED, DEVICE));

    /** Validates what the keys' own rules cannot. */
    StfpmOptions {
        if (layers.stream().distinct().count() != layers.size()) {
            throw new IllegalArgumentException("Invalid value for 'layers': " + String.join(",", layers)
                    + " (duplicate layer)");
        }
        layers = layers.stream().sorted((a, b) -> Integer.compare(ResNetBackbone.ALL_LAYERS.indexOf(a),
                ResNetBackbone.ALL_LAYERS.indexOf(b))).toList();
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static StfpmOptions of(Config c) {
        return new StfpmOptions(c.get(BACKBONE), Arrays.asList(c.get(LAYERS).split(",")), c.get(IMAGE_SIZE),
                c.get(EPOCHS), c.get(BATCH_SIZE), c.get(LEARNING_RATE), c.get(MOMENTUM), c.get(WEIGHT_DECAY),
                c.get(VALIDATION_FRACTION), c.get(SharedParams.MAX_MINUTES), c.get(MAP_AGGREGATION),
                c.get(SharedParams.SEED), c.get(DEVICE));
    }

    /** @return SGD with the configured rate, momentum and weight decay, constant rate */
    TrainingSchedule schedule() {
        return new TrainingSchedule(epochs, maxMinutes, TrainingSchedule.Optimizer.SGD, learningRate,
                TrainingSchedule.Decay.CONSTANT, List.of(), 0.1, 0.01, weightDecay, momentum, 1, seed);
    }
}
