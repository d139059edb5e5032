package dev.anomalysdk.teacher.reversedistillation;

import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.features.ResNetBackbone;
import dev.anomalysdk.teacher.components.ResNetBlocks;
import dev.anomalysdk.teacher.components.Teachers;
import java.util.List;

/**
 * The shape of a Reverse Distillation student, derived from its teacher: block kind (bottleneck for
 * ResNet-50 and Wide ResNet-50-2, basic for ResNet-18, as the official {@code de_*} decoders), bottleneck
 * width factor (2 for wide ResNets) and the teacher's {@code layer1} channels {@code c}; the teacher's
 * layers 1-3 then have {@code c, 2c, 4c} channels and the embedding {@code 8c}.
 *
 * @param kind residual block kind
 * @param widthFactor bottleneck inner width per plane (1 or 2)
 * @param channels the teacher's {@code layer1} channels
 */
public record StudentLayout(ResNetBlocks.Kind kind, int widthFactor, int channels) {

    /** Validates the fields. */
    public StudentLayout {
        if (kind == null || widthFactor < 1 || channels < 1 || channels % kind.expansion() != 0) {
            throw new IllegalArgumentException("Invalid student layout: " + kind + ", width factor " + widthFactor
                    + ", channels " + channels);
        }
    }

    /**
     * @param architecture the torchvision architecture whose decoder to mirror
     * @param channels the teacher's {@code layer1} channels
     * @return the layout
     */
    public static StudentLayout of(ResNetBackbone.Architecture architecture, int channels) {
        return switch (architecture) {
            case RESNET18 -> new StudentLayout(ResNetBlocks.Kind.BASIC, 1, channels);
            case RESNET50 -> new StudentLayout(ResNetBlocks.Kind.BOTTLENECK, 1, channels);
            case WIDE_RESNET50_2 -> new StudentLayout(ResNetBlocks.Kind.BOTTLENECK, 2, channels);
        };
    }

    /**
     * @param teacher a teacher returning {@code layer1, layer2, layer3}
     * @param requested the architecture to mirror, or {@code null} for the teacher's own
     * @return the layout
     * @throws IllegalArgumentException when the architecture is unknown or the channels do not double
     */
    public static StudentLayout forTeacher(FeatureExtractor teacher, ResNetBackbone.Architecture requested) {
        ResNetBackbone.Architecture arch = requested != null ? requested : Teachers.architecture(teacher)
                .orElseThrow(() -> new IllegalArgumentException("Cannot tell the ResNet architecture of teacher "
                        + teacher.identity() + "; set 'student' to resnet18, resnet50 or wide_resnet50_2"));
        List<Integer> c = teacher.channels();
        if (c.size() != 3 || c.get(1) != 2 * c.get(0) || c.get(2) != 4 * c.get(0)) {
            throw new IllegalArgumentException("Teacher " + teacher.identity() + " has layer channels " + c
                    + "; Reverse Distillation needs a ResNet's layer1-3 (c, 2c, 4c)");
        }
        return of(arch, c.get(0));
    }

    /** @return blocks of the one-class embedding stage: 3 bottlenecks or 2 basic blocks */
    int embeddingBlocks() {
        return kind == ResNetBlocks.Kind.BOTTLENECK ? 3 : 2;
    }

    /**
     * @param scale 0 for the stage producing {@code layer1}'s shape, 2 for {@code layer3}'s
     * @return blocks of that decoder stage (torchvision's 3, 4, 6 counted from the deepest decoder stage)
     */
    int decoderBlocks(int scale) {
        return kind == ResNetBlocks.Kind.BOTTLENECK ? new int[] {6, 4, 3}[scale] : 2;
    }
}
