package dev.anomalysdk.core.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.features.ResNetBackbone.Architecture;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResNetBackboneTest {
    private static final Shape INPUT = new Shape(2, 3, 64, 64);

    @BeforeAll
    static void offline() {
        DjlEnvironment.init();
        Fixtures.singleThreaded();
    }

    @AfterAll
    static void threads() {
        Fixtures.restoreThreads();
    }

    private static float[] features(FeatureExtractor fx, String layer, long inputSeed) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            return fx.extract(input(m, inputSeed)).get(layer).toFloatArray();
        }
    }

    private static NDArray input(NDManager m, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[(int) INPUT.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, INPUT);
    }

    @Test
    void resnet18HasTorchvisionShapesAndStrides() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.RESNET18, 8, null, 0, Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(ResNetBackbone.ALL_LAYERS, fx.layers());
            assertEquals(List.of(8, 16, 32, 64), fx.channels());
            assertEquals(List.of(4, 8, 16, 32), fx.strides());
            Map<String, NDArray> out = fx.extract(input(m, 1));
            assertEquals(new Shape(2, 8, 16, 16), out.get("layer1").getShape());
            assertEquals(new Shape(2, 16, 8, 8), out.get("layer2").getShape());
            assertEquals(new Shape(2, 32, 4, 4), out.get("layer3").getShape());
            assertEquals(new Shape(2, 64, 2, 2), out.get("layer4").getShape());
            assertFalse(fx.isPretrained());
        }
    }

    @Test
    void fullWidthResnet18HasTorchvisionChannels() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.RESNET18, List.of("layer2", "layer3"), 0,
                Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(List.of(128, 256), fx.channels());
            NDArray x = m.randomNormal(new Shape(1, 3, 64, 64));
            Map<String, NDArray> out = fx.extract(x);
            assertEquals(new Shape(1, 128, 8, 8), out.get("layer2").getShape());
            assertEquals(new Shape(1, 256, 4, 4), out.get("layer3").getShape());
        }
    }

    @Test
    void narrowWideResnet50HasBottleneckShapesAndStopsAtTheDeepestLayer() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.WIDE_RESNET50_2, 4, List.of("layer3", "layer2"), 0,
                Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(List.of("layer2", "layer3"), fx.layers(), "shallow to deep");
            assertEquals(List.of(32, 64), fx.channels(), "planes * 4");
            assertEquals(List.of(8, 16), fx.strides());
            Map<String, NDArray> out = fx.extract(input(m, 1));
            assertEquals(new Shape(2, 32, 8, 8), out.get("layer2").getShape());
            assertEquals(new Shape(2, 64, 4, 4), out.get("layer3").getShape());
            List<String> children = fx.block().getChildren().keys();
            assertEquals(List.of("01stem", "02layer1", "03layer2", "04layer3"), children, "layer4 is not built");
            // Inner width of a wide bottleneck is 2 * planes: the first 1x1 conv of layer1 has 8 filters.
            assertTrue(fx.block().getParameters().stream()
                    .anyMatch(p -> p.getValue().getArray().getShape().equals(new Shape(8, 4, 1, 1))));
        }
        try (ResNetBackbone standard = ResNetBackbone.random(Architecture.WIDE_RESNET50_2, 2, null, 0, Device.cpu())) {
            assertEquals(List.of(256, 512, 1024, 2048).stream().map(c -> c / 32).toList(), standard.channels());
        }
    }

    @Test
    void sameSeedGivesIdenticalOutputsAndDifferentSeedsDiffer() {
        try (ResNetBackbone a = ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer2"), 7, Device.cpu());
                ResNetBackbone b = ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer2"), 7, Device.cpu());
                ResNetBackbone c = ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer2"), 8, Device.cpu())) {
            assertArrayEquals(features(a, "layer2", 3), features(b, "layer2", 3));
            assertEquals(a.identity(), b.identity());
            assertFalse(java.util.Arrays.equals(features(a, "layer2", 3), features(c, "layer2", 3)));
            assertNotEquals(a.identity(), c.identity());
        }
    }

    @Test
    void batchNormUsesRunningStatisticsSoSamplesAreIndependent() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer3"), 0, Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray batch = input(m, 5);
            float[] both = fx.extract(batch).get("layer3").toFloatArray();
            float[] first = fx.extract(batch.get("0:1")).get("layer3").toFloatArray();
            float[] head = java.util.Arrays.copyOf(both, first.length);
            for (int i = 0; i < first.length; i++) {
                assertEquals(head[i], first[i], 1e-4 * Math.max(1, Math.abs(head[i])));
            }
        }
    }

    @Test
    void extractRecordsNoGradientEvenWhenParametersAreTrainable() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer1"), 0, Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            fx.block().getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
            NDArray out = fx.extract(input(m, 1)).get("layer1");
            assertFalse(out.hasGradient());
        }
    }

    @Test
    void savedBackboneRestoresWithIdenticalFeatures(@TempDir Path dir) throws IOException {
        Path modelDir = dir.resolve("model");
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.WIDE_RESNET50_2, 4, List.of("layer2", "layer3"), 3,
                Device.cpu())) {
            fx.setPretrained(true);
            try (ModelWriter w = new ModelWriter(modelDir)) {
                fx.save(w, "");
                w.commit();
            }
            try (FeatureExtractor restored = Backbones.restore(ModelReader.open(modelDir), "", Device.cpu())) {
                ResNetBackbone r = (ResNetBackbone) restored;
                assertEquals(Architecture.WIDE_RESNET50_2, r.architecture());
                assertEquals(4, r.baseWidth());
                assertEquals(fx.layers(), r.layers());
                assertEquals(fx.channels(), r.channels());
                assertTrue(r.isPretrained());
                assertEquals(fx.identity(), r.identity());
                assertArrayEquals(features(fx, "layer3", 9), features(r, "layer3", 9));
                assertArrayEquals(features(fx, "layer2", 9), features(r, "layer2", 9));
            }
        }
    }

    @Test
    void invalidLayersAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNetBackbone.random(Architecture.RESNET18, 8, List.of("layer5"), 0, Device.cpu()));
        assertTrue(e.getMessage().contains("layer5") && e.getMessage().contains("layer1"), e.getMessage());
    }

    @Test
    void repeatedExtractDoesNotGrowLiveArrays() {
        try (ResNetBackbone fx = ResNetBackbone.random(Architecture.RESNET18, 4, List.of("layer1", "layer2"), 0,
                Device.cpu()); NDManager base = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = base.randomNormal(new Shape(1, 3, 16, 16));
            long start = System.nanoTime();
            int baseBefore = base.getManagedArrays().size();
            int paramsBefore = fx.managedArrayCount();
            Map<String, NDArray> once = fx.extract(x);
            assertEquals(baseBefore + 2, base.getManagedArrays().size(), "only the two outputs are added");
            once.values().forEach(NDArray::close);
            for (int i = 0; i < 300; i++) {
                try (NDManager call = base.newSubManager()) {
                    NDArray in = x.duplicate();
                    in.attach(call);
                    fx.extract(in);
                }
            }
            System.out.printf("300 extract calls: %.1f ms%n", (System.nanoTime() - start) / 1e6);
            assertEquals(baseBefore, base.getManagedArrays().size());
            assertEquals(paramsBefore, fx.managedArrayCount());
        }
    }
}
