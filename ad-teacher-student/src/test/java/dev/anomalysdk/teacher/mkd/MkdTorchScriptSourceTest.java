package dev.anomalysdk.teacher.mkd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.ProgressListener;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.persist.Npy;
import dev.anomalysdk.teacher.components.NoGrad;
import dev.anomalysdk.teacher.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MKD with an exported TorchScript source (the tiny VGG-16 fixture, backbones/README.md). */
class MkdTorchScriptSourceTest {
    @TempDir
    static Path tmp;
    static Path fixture;

    @BeforeAll
    static void setUp() throws URISyntaxException {
        TestData.singleThreaded();
        fixture = Path.of(MkdTorchScriptSourceTest.class.getResource("/backbones/tiny_vgg16.pt").toURI());
    }

    private static Npy.Array npy(String name) throws IOException {
        try (InputStream in = MkdTorchScriptSourceTest.class.getResourceAsStream("/backbones/" + name)) {
            return Npy.read(in, name, 1 << 20);
        }
    }

    @Test
    void lossAndInputGradientThroughATorchScriptSourceMatchPyTorchAutograd() throws IOException {
        // Reference from PyTorch (make_mkd_reference.py): MKD's loss of the source's maps against fixed
        // targets 0.5 * f + 0.1, and its gradient with respect to the input.
        Npy.Array input = npy("mkd_input.npy");
        float[] loss = npy("mkd_expected_loss.npy").data();
        float[] grad = npy("mkd_expected_grad.npy").data();
        try (MkdSource source = MkdSource.open(fixture.toString(), List.of(2, 3, 4, 5), 0, Device.cpu(), 32);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(4, source.baseWidth());
            NDArray x = m.create(input.data(), new Shape(input.shape()));
            NDList targets = new NDList();
            try (NoGrad g = NoGrad.enter()) {
                source.features(x).forEach(f -> targets.add(f.mul(0.5f).add(0.1f)));
            }
            InputGradients.Result r = InputGradients.compute(x, in -> MkdLoss.perSample(source.features(in), targets,
                    0.5f));
            assertArrayEquals(loss, r.losses(), 1e-5f);
            float max = 0;
            for (float v : grad) {
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max > 0);
            assertArrayEquals(grad, r.gradient(), 1e-3f * max);
        }
    }

    @Test
    void theBuiltInVgg16WithTheFixturesWeightsGivesTheSameMapsAsTheTorchvisionLayout() throws IOException {
        // The fixture is torchvision's VGG-16 feature layout; copying its weights (module order) into the
        // built-in network must reproduce its max-pooled block outputs.
        float[] params = npy("tiny_vgg16_params.npy").data();
        Npy.Array input = npy("mkd_input.npy");
        VggNetwork net = VggNetwork.source(4, List.of(2, 3, 4, 5));
        try (MkdSource source = MkdSource.open(fixture.toString(), List.of(2, 3, 4, 5), 0, Device.cpu(), 32);
                NDManager m = NDManager.newBaseManager(Device.cpu()); NoGrad g = NoGrad.enter()) {
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            int offset = 0;
            for (Parameter p : net.getParameters().values()) {
                NDArray a = p.getArray();
                int n = Math.toIntExact(a.size());
                a.set(FloatBuffer.wrap(Arrays.copyOfRange(params, offset, offset + n)));
                offset += n;
            }
            assertEquals(params.length, offset, "every fixture weight used once");
            NDArray x = m.create(input.data(), new Shape(input.shape()));
            NDList theirs = source.features(x);
            NDList ours = net.features(x);
            assertEquals(4, ours.size());
            for (int i = 0; i < ours.size(); i++) {
                assertEquals(theirs.get(i).getShape(), ours.get(i).getShape());
                assertArrayEquals(theirs.get(i).toFloatArray(), ours.get(i).toFloatArray(), 1e-5f, "block " + (i + 2));
            }
        }
    }

    @Test
    void aDetectorWithATorchScriptSourceFitsPredictsAndReloads() throws IOException {
        DatasetSplit split = TestData.texture();
        Map<String, String> settings = Map.of("backbone", fixture.toString(), "cloner_width", "4", "image_size", "32",
                "batch_size", "8", "epochs", "2", "seed", "1", "device", "cpu");
        try (Detector d = Detectors.create("mkd", settings)) {
            d.fit(Detector.FitData.of(split.train().subList(0, 16), List.of()), ProgressListener.NONE);
            assertTrue(((BaseDetector) d).provenance().path("backbone").asText().startsWith("torchscript:tiny_vgg16"));
            Path dir = tmp.resolve("mkd-torchscript");
            d.save(dir);
            List<Sample> some = split.test().subList(0, 3);
            try (Detector loaded = Detectors.load(dir)) {
                assertArrayEquals(TestData.scores(d, some), TestData.scores(loaded, some));
                ImageData img = some.get(0).loadImage();
                float[] map = d.predict(img).map().values();
                assertArrayEquals(map, loaded.predict(img).map().values());
                float lo = Float.MAX_VALUE;
                float hi = -Float.MAX_VALUE;
                for (float v : map) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                assertTrue(hi > lo, "the map varies");
            }
        }
    }
}
