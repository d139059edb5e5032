package dev.anomalysdk.core.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.anomalysdk.core.DjlEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackbonesTest {

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
    void resnetSpecsTakeSeedAndWidth() throws IOException {
        try (FeatureExtractor fx = Backbones.create("resnet18:seed=3:width=8", List.of("layer2"), Device.cpu())) {
            ResNetBackbone r = (ResNetBackbone) fx;
            assertEquals(ResNetBackbone.Architecture.RESNET18, r.architecture());
            assertEquals(3, r.seed());
            assertEquals(8, r.baseWidth());
            assertEquals(List.of(16), r.channels());
        }
        try (FeatureExtractor fx = Backbones.create("wide_resnet50_2:width=2", List.of("layer1"), Device.cpu())) {
            assertEquals(List.of(8), fx.channels());
            assertEquals(0, ((ResNetBackbone) fx).seed());
        }
    }

    @Test
    void onlyBuiltInSpecsWithoutASeedTakeTheDetectorsSeed() {
        assertEquals("resnet18:seed=7", Backbones.seeded("resnet18", 7));
        assertEquals("Wide_ResNet50_2:width=8:seed=7", Backbones.seeded("Wide_ResNet50_2:width=8", 7));
        assertEquals("resnet18:seed=3", Backbones.seeded("resnet18:seed=3", 7));
        assertEquals("wrn50.pt", Backbones.seeded("wrn50.pt", 7));
        assertEquals("file:/m/resnet18.pt", Backbones.seeded("file:/m/resnet18.pt", 7));
    }

    @Test
    void torchScriptSpecsLoadTheFileAndItsSidecar() throws IOException {
        try (FeatureExtractor fx = Backbones.create(Fixtures.tinyResnet().toString(), null, Device.cpu())) {
            assertTrue(fx instanceof TorchScriptBackbone);
            assertEquals(List.of("layer2", "layer3"), fx.layers());
        }
    }

    @Test
    void unknownSpecListsTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backbones.create("vgg16", null, Device.cpu()));
        String msg = e.getMessage();
        assertTrue(msg.contains("vgg16") && msg.contains("resnet18") && msg.contains("wide_resnet50_2")
                && msg.contains(".pt") && msg.contains("export_backbone.py"), msg);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Backbones.create("resnet18:depth=3", null, Device.cpu()));
        assertTrue(bad.getMessage().contains("depth=3"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backbones.create("resnet18:width=0", null, Device.cpu()));
    }

    @Test
    void missingTorchScriptFileNamesIt(@TempDir Path dir) {
        Path missing = dir.resolve("wrn50.pt");
        IOException e = assertThrows(IOException.class, () -> Backbones.create(missing.toString(), null, Device.cpu()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void untrainedBackboneIsWarnedAboutOncePerInstance() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (ResNetBackbone fx = ResNetBackbone.random(ResNetBackbone.Architecture.RESNET18, 4, List.of("layer1"), 0,
                Device.cpu());
                ResNetBackbone trained = ResNetBackbone.random(ResNetBackbone.Architecture.RESNET18, 4,
                        List.of("layer1"), 0, Device.cpu())) {
            trained.setPretrained(true);
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            assertTrue(Backbones.warnIfUntrained(fx, "patchcore"));
            assertFalse(Backbones.warnIfUntrained(fx, "patchcore"));
            assertFalse(Backbones.warnIfUntrained(trained, "patchcore"));
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split("needs pretrained features", -1).length - 1, log);
        assertTrue(log.contains("WARN") && log.contains("patchcore")
                && log.contains("python tools/export_backbone.py --model resnet18 --layers layer1 --out resnet18.pt")
                && log.contains("--backbone resnet18.pt"), log);
    }
}
