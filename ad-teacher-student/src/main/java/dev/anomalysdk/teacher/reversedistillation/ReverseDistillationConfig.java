package dev.anomalysdk.teacher.reversedistillation;

import dev.anomalysdk.core.training.TrainingControl;
import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.teacher.MapAggregation;
import java.util.List;

/**
 * The configuration keys of {@link ReverseDistillationDetector}, with typed access. Defaults follow the
 * official RD4AD code: Wide ResNet-50-2 teacher (layers 1-3), 256 px square input, Adam with learning rate
 * 0.005 and betas (0.5, 0.999), batch 16, 200 epochs, maps summed over scales and smoothed with a Gaussian
 * of sigma 4.
 */
final class ReverseDistillationConfig {
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

    static final Param<String> BACKBONE = Param.ofString("backbone", "wide_resnet50_2", s -> !s.isBlank(),
            "a TorchScript file or URL exporting layer1, layer2, layer3; or resnet18 / resnet50 / wide_resnet50_2 "
                    + "(random weights, optionally :width=K)",
            "Frozen teacher: an exported pretrained ResNet returning layer1-3 (tools/export_backbone.py "
                    + "--layers layer1 layer2 layer3); built-in names give random weights (tests only)");
    static final Param<Student> STUDENT = Param.ofEnum("student", Student.class, Student.AUTO,
            "Decoder architecture to mirror; auto takes the teacher's (set it for a TorchScript teacher whose "
                    + "sidecar names no torchvision ResNet)");
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 256, 32, 2048,
            "Side of the square network input in pixels, a multiple of 32 (official: 256)");
    static final Param<Integer> EPOCHS = Param.ofInt(Config.EPOCHS, 200, 1, 100_000,
            "Training epochs over the training images (official: 200)");
    static final Param<Integer> BATCH_SIZE = Param.ofInt(Config.BATCH_SIZE, 16, 1, 1024,
            "Training mini-batch size, also the inference batch size (official: 16)");
    static final Param<Double> LEARNING_RATE = Param.ofDouble(Config.LEARNING_RATE, 0.005, 1e-7, 1.0,
            "Adam learning rate, constant (official: 0.005)");
    static final Param<Double> BETA1 = Param.ofDouble("beta1", 0.5, 0.0, 0.999,
            "Adam beta1, the decay of the gradient mean (official: 0.5; beta2 is 0.999)");
    static final Param<Double> MAX_MINUTES = Param.ofDouble("max_minutes", 0.0, 0.0, 1e6,
            "Wall-clock training budget in minutes (0 = none); the run stops at the budget or after the epochs");
    static final Param<MapAggregation> MAP_AGGREGATION = Param.ofEnum("map_aggregation", MapAggregation.class,
            MapAggregation.SUM, "How the three per-scale maps combine: sum (official default) or product");
    static final Param<Double> BLUR_SIGMA = Param.ofDouble("blur_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the map in input pixels (official: 4); 0 disables");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (student initialization, batch order, calibration hold-out, random teacher weights)");
    static final Param<String> DEVICE = Param.ofString("device", "auto",
            s -> s.matches("cpu|auto|cuda|cuda:\\d+|gpu|gpu:\\d+"), "cpu, auto, cuda or cuda:N",
            "Where teacher and student run; auto picks the first GPU when DJL has CUDA natives");

    static final List<Param<?>> ALL = TrainingControl.withControlParams(List.of(BACKBONE, STUDENT, IMAGE_SIZE, EPOCHS, BATCH_SIZE, LEARNING_RATE,
            BETA1, MAX_MINUTES, MAP_AGGREGATION, BLUR_SIGMA, SEED, DEVICE));

    private final Config config;

    ReverseDistillationConfig(Config config) {
        this.config = config;
        if (imageSize() % 32 != 0) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize()
                    + " (must be a multiple of 32)");
        }
    }

    String backbone() {
        return config.get(BACKBONE);
    }

    Student student() {
        return config.get(STUDENT);
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

    double beta1() {
        return config.get(BETA1);
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
