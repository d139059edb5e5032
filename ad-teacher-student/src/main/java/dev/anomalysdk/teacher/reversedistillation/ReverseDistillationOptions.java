package dev.anomalysdk.teacher.reversedistillation;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.training.TrainingSchedule;
import dev.anomalysdk.teacher.components.MapAggregation;
import java.util.List;

/**
 * Reverse Distillation's options, validated. Defaults follow the official RD4AD code: Wide ResNet-50-2 teacher
 * (layers 1-3), 256 px square input, Adam with learning rate 0.005 and betas (0.5, 0.999), batch 16, 200 epochs,
 * maps summed over scales and smoothed with a Gaussian of sigma 4 (the shared {@code map_sigma}).
 *
 * @param backbone the teacher's {@code backbone} spec
 * @param student the decoder architecture to mirror
 * @param imageSize side of the square network input, a multiple of 32
 * @param epochs training epochs
 * @param batchSize training mini-batch size
 * @param learningRate Adam learning rate
 * @param beta1 Adam beta1
 * @param maxMinutes wall-clock training budget, 0 = none
 * @param mapAggregation how the per-scale maps combine
 * @param seed random seed
 * @param device where teacher and student run
 */
record ReverseDistillationOptions(String backbone, Student student, int imageSize, int epochs, int batchSize,
        double learningRate, double beta1, double maxMinutes, MapAggregation mapAggregation, long seed,
        String device) {
    /** Layers the teacher must return. */
    static final List<String> LAYERS = List.of("layer1", "layer2", "layer3");

    /** Which decoder to mirror; {@code auto} takes the teacher's architecture. */
    enum Student {
        /** The teacher's architecture (built-in ResNet, or the one a TorchScript sidecar names). */
        AUTO,
        /** Basic blocks (the official de_resnet18). */
        RESNET18,
        /** Bottlenecks (de_resnet50). */
        RESNET50,
        /** Wide bottlenecks (de_wide_resnet50_2, the paper's model). */
        WIDE_RESNET50_2;

        ResNetBackbone.Architecture architecture() {
            return this == AUTO ? null : ResNetBackbone.Architecture.valueOf(name());
        }
    }

    static final Param<String> BACKBONE = SharedParams.BACKBONE.withDefault("wide_resnet50_2");
    static final Param<Student> STUDENT = Param.ofEnum("student", Student.class, Student.AUTO,
            "Decoder architecture to mirror; auto takes the teacher's (set it for a TorchScript teacher whose "
                    + "sidecar names no torchvision ResNet)");
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(256);
    static final Param<Integer> EPOCHS = SharedParams.EPOCHS.withDefault(200);
    static final Param<Integer> BATCH_SIZE = SharedParams.BATCH_SIZE.withDefault(16);
    static final Param<Double> LEARNING_RATE = SharedParams.LEARNING_RATE.withDefault(0.005);
    static final Param<Double> BETA1 = Param.ofDouble("beta1", 0.5, 0.0, 0.999,
            "Adam beta1, the decay of the gradient mean (official: 0.5; beta2 is 0.999)");
    static final Param<MapAggregation> MAP_AGGREGATION = Param.ofEnum("map_aggregation", MapAggregation.class,
            MapAggregation.SUM, "How the three per-scale maps combine: sum (official default) or product");
    static final Param<Double> MAP_SIGMA = SharedParams.MAP_SIGMA.withDefault(4.0);
    static final Param<String> DEVICE = SharedParams.DEVICE.withDefault("auto");

    static final List<Param<?>> PARAMS = TrainingControl.withControlParams(List.of(BACKBONE, STUDENT, IMAGE_SIZE,
            EPOCHS, BATCH_SIZE, LEARNING_RATE, BETA1, SharedParams.MAX_MINUTES, MAP_AGGREGATION, MAP_SIGMA,
            SharedParams.SEED, DEVICE));

    /** Validates what the keys' own rules cannot. */
    ReverseDistillationOptions {
        if (imageSize % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize
                    + " (must be a multiple of 32)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static ReverseDistillationOptions of(Config c) {
        return new ReverseDistillationOptions(c.get(BACKBONE), c.get(STUDENT), c.get(IMAGE_SIZE), c.get(EPOCHS),
                c.get(BATCH_SIZE), c.get(LEARNING_RATE), c.get(BETA1), c.get(SharedParams.MAX_MINUTES),
                c.get(MAP_AGGREGATION), c.get(SharedParams.SEED), c.get(DEVICE));
    }

    /** @return Adam with the configured rate and beta1, constant rate, for the configured epochs and budget */
    TrainingSchedule schedule() {
        return new TrainingSchedule(epochs, maxMinutes, TrainingSchedule.Optimizer.ADAM, learningRate,
                TrainingSchedule.Decay.CONSTANT, List.of(), 0.1, 0.01, 0, 0.9, 1, seed)
                .withAdamBetas(beta1, TrainingSchedule.DEFAULT_BETA2);
    }
}
