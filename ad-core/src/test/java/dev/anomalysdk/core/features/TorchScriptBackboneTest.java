package dev.anomalysdk.core.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptBackboneTest {
    private static final double TOLERANCE = 1e-5;

    @BeforeAll
    static void offline() {
        DjlEnvironment.init();
        Fixtures.singleThreaded();
    }

    @AfterAll
    static void threads() {
        Fixtures.restoreThreads();
    }

    @Test
    void tinyFixtureGivesThePythonRecordedOutputs() throws IOException {
        Npy.Array input = Fixtures.npy(Fixtures.resource("input.npy"));
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> out = fx.extract(Fixtures.toArray(input, m));
            assertEquals(List.of("layer2", "layer3"), List.copyOf(out.keySet()));
            Fixtures.assertClose(Fixtures.npy(Fixtures.resource("expected_layer2.npy")), out.get("layer2"), TOLERANCE);
            Fixtures.assertClose(Fixtures.npy(Fixtures.resource("expected_layer3.npy")), out.get("layer3"), TOLERANCE);
            assertEquals("layer3", out.get("layer3").getName());
        }
    }

    @Test
    void anOptimizedExportGivesThePlainModulesOutputs() throws IOException {
        // Same weights exported frozen (batch norms folded) and channels-last: the outputs must be the plain
        // module's up to float rounding, in NCHW order.
        Npy.Array input = Fixtures.npy(Fixtures.resource("input.npy"));
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.resource("tiny_resnet_optimized.pt"),
                Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> out = fx.extract(Fixtures.toArray(input, m));
            Fixtures.assertClose(Fixtures.npy(Fixtures.resource("expected_layer2.npy")), out.get("layer2"), 1e-4);
            Fixtures.assertClose(Fixtures.npy(Fixtures.resource("expected_layer3.npy")), out.get("layer3"), 1e-4);
        }
    }

    @Test
    void sidecarDescribesLayersAndWeights() throws IOException {
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), Device.cpu())) {
            assertEquals(List.of("layer2", "layer3"), fx.layers());
            assertEquals(List.of(16, 32), fx.channels());
            assertEquals(List.of(8, 16), fx.strides());
            assertFalse(fx.isPretrained());
            assertEquals("tiny_resnet", fx.architecture());
            assertEquals(BackboneFiles.sha256(Fixtures.tinyResnet()), fx.sha256());
            assertEquals("torchscript:tiny_resnet:sha256=" + fx.sha256(), fx.identity());
            assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, fx.expectedPreprocessing(256, 224).mean());
            assertEquals(224, fx.expectedPreprocessing(256, 224).cropSize());
        }
    }

    @Test
    void aSubsetOfExportedLayersCanBeRequested() throws IOException {
        Npy.Array input = Fixtures.npy(Fixtures.resource("input.npy"));
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), List.of("layer3"), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(List.of("layer3"), fx.layers());
            assertEquals(List.of(32), fx.channels());
            assertEquals(List.of(16), fx.strides());
            Map<String, NDArray> out = fx.extract(Fixtures.toArray(input, m));
            assertEquals(List.of("layer3"), List.copyOf(out.keySet()));
            Fixtures.assertClose(Fixtures.npy(Fixtures.resource("expected_layer3.npy")), out.get("layer3"), TOLERANCE);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptBackbone.load(Fixtures.tinyResnet(), List.of("layer4"), Device.cpu()));
        assertTrue(e.getMessage().contains("layer4") && e.getMessage().contains("[layer2, layer3]"), e.getMessage());
    }

    @Test
    void withoutSidecarTheCallerNamesOutputsAndShapesAreProbed(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("model.pt");
        Files.copy(Fixtures.tinyResnet(), copy);
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(copy, List.of("a", "b"), Device.cpu())) {
            assertEquals(List.of("a", "b"), fx.layers());
            assertEquals(List.of(16, 32), fx.channels());
            assertEquals(List.of(8, 16), fx.strides());
            assertFalse(fx.isPretrained());
            assertEquals("unknown", fx.architecture());
        }
        IOException e = assertThrows(IOException.class, () -> TorchScriptBackbone.load(copy, Device.cpu()));
        assertTrue(e.getMessage().contains(copy.toString()) && e.getMessage().contains("sidecar"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TorchScriptBackbone.load(copy, List.of("only_one"), Device.cpu()));
    }

    @Test
    void missingOrCorruptFileFailsWithTheFileName(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.pt");
        IOException e1 = assertThrows(IOException.class, () -> TorchScriptBackbone.load(missing, Device.cpu()));
        assertTrue(e1.getMessage().contains(missing.toString()), e1.getMessage());

        Path corrupt = dir.resolve("corrupt.pt");
        byte[] bytes = Files.readAllBytes(Fixtures.tinyResnet());
        Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IOException e2 = assertThrows(IOException.class,
                () -> TorchScriptBackbone.load(corrupt, List.of("a", "b"), Device.cpu()));
        assertTrue(e2.getMessage().contains(corrupt.toString()), e2.getMessage());

        Path garbage = dir.resolve("garbage.pt");
        Files.writeString(garbage, "not a torchscript file");
        IOException e3 = assertThrows(IOException.class,
                () -> TorchScriptBackbone.load(garbage, List.of("a"), Device.cpu()));
        assertTrue(e3.getMessage().contains(garbage.toString()), e3.getMessage());
    }

    @Test
    void aFileThatDoesNotMatchItsSidecarIsRejected(@TempDir Path dir) throws IOException {
        Path pt = dir.resolve("tiny.pt");
        byte[] bytes = Files.readAllBytes(Fixtures.tinyResnet());
        bytes[bytes.length - 30] ^= 1; // inside the zip's central directory comment area or data: hash differs
        Files.write(pt, bytes);
        Files.copy(Fixtures.resource("tiny_resnet.pt.json"), TorchScriptBackbone.sidecarOf(pt));
        IOException e = assertThrows(IOException.class, () -> TorchScriptBackbone.load(pt, Device.cpu()));
        assertTrue(e.getMessage().contains(pt.toString()) && e.getMessage().contains("sidecar"), e.getMessage());
    }

    @Test
    void savedBackboneRestoresWithIdenticalFeatures(@TempDir Path dir) throws IOException {
        Path modelDir = dir.resolve("model");
        Npy.Array input = Fixtures.npy(Fixtures.resource("input.npy"));
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), List.of("layer3"), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            try (ModelWriter w = new ModelWriter(modelDir)) {
                fx.save(w, "fx.");
                w.commit();
            }
            float[] before = fx.extract(Fixtures.toArray(input, m)).get("layer3").toFloatArray();
            try (FeatureExtractor restored = Backbones.restore(ModelReader.open(modelDir), "fx.", Device.cpu())) {
                assertTrue(restored instanceof TorchScriptBackbone);
                assertEquals(fx.identity(), restored.identity());
                assertEquals(fx.layers(), restored.layers());
                assertEquals(fx.channels(), restored.channels());
                assertEquals(fx.strides(), restored.strides());
                assertEquals(fx.isPretrained(), restored.isPretrained());
                assertArrayEquals(before, restored.extract(Fixtures.toArray(input, m)).get("layer3").toFloatArray());
            }
        }
        // The model does not depend on the original file, and a tampered copy is refused.
        Path stored = modelDir.resolve("files").resolve("fx.backbone.pt");
        assertTrue(Files.isRegularFile(stored));
        Files.write(stored, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class,
                () -> Backbones.restore(ModelReader.open(modelDir), "fx.", Device.cpu()));
        assertTrue(e.getMessage().contains("fx.backbone.pt"), e.getMessage());
    }

    @Test
    void fileUrlsLoad() throws IOException {
        String url = Fixtures.tinyResnet().toUri().toString();
        try (FeatureExtractor fx = Backbones.create(url, null, Device.cpu())) {
            assertEquals(List.of("layer2", "layer3"), fx.layers());
        }
    }

    @Test
    void extractRecordsNoGradientAndLeavesOnlyItsOutputs() throws IOException {
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), Device.cpu());
                NDManager base = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = base.randomNormal(new Shape(1, 3, 32, 32));
            int before = base.getManagedArrays().size();
            Map<String, NDArray> out = fx.extract(x);
            assertFalse(out.get("layer2").hasGradient());
            assertEquals(before + 2, base.getManagedArrays().size(), "only the two outputs are added");
        }
    }

    @Test
    void repeatedExtractDoesNotGrowLiveArrays() throws IOException {
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(Fixtures.tinyResnet(), Device.cpu());
                NDManager base = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = base.randomNormal(new Shape(1, 3, 16, 16));
            int baseBefore = base.getManagedArrays().size();
            int modelBefore = fx.managedArrayCount();
            for (int i = 0; i < 300; i++) {
                try (NDManager call = base.newSubManager()) {
                    NDArray in = x.duplicate();
                    in.attach(call);
                    fx.extract(in).values().forEach(a -> a.getShape());
                }
            }
            assertEquals(baseBefore, base.getManagedArrays().size());
            assertEquals(modelBefore, fx.managedArrayCount());
        }
    }

    /** The PatchCore parity backbone (random resnet18, seed 0) from the shared directory. */
    @Test
    void parityBackboneReturnsLayer2AndLayer3Shapes() throws IOException {
        String shared = System.getProperty("shared.dir");
        assumeTrue(shared != null, "shared.dir not set");
        Path dir = Path.of(shared, "parity", "patchcore");
        Path pt = dir.resolve("resnet18_seed0_layer2_layer3.pt");
        Path inputs = dir.resolve("inputs_train.npy");
        assumeTrue(Files.isRegularFile(pt) && Files.isRegularFile(inputs), "parity fixture not present");
        assertEquals("3059078c76ab9da1fbc60e3e91d310b56ee440fd3ff32b1fa9ddcfc0e213c30e", BackboneFiles.sha256(pt));
        try (TorchScriptBackbone fx = TorchScriptBackbone.load(pt, List.of("layer2", "layer3"), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(List.of(128, 256), fx.channels());
            assertEquals(List.of(8, 16), fx.strides());
            Map<String, NDArray> out = fx.extract(Fixtures.firstRows(Fixtures.npy(inputs), 2, m));
            assertEquals(new Shape(2, 128, 28, 28), out.get("layer2").getShape());
            assertEquals(new Shape(2, 256, 14, 14), out.get("layer3").getShape());
        }
    }
}
