package dev.anomalysdk.memorybank.anomalydino;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.anomalysdk.core.testing.DetectorChecks.labels;
import static dev.anomalysdk.core.testing.DetectorChecks.scores;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.anomalysdk.core.AnomalyResult;
import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.testing.TestResources;
import dev.anomalysdk.core.features.TorchScriptBackbone;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

class AnomalyDinoDetectorTest {
    @TempDir
    static Path tmp;
    static DatasetSplit split;
    static Path vit;
    static Map<String, String> small;

    @BeforeAll
    static void data() throws Exception {
        DjlEnvironment.engine();
        JniUtils.setNumThreads(1);
        SyntheticDataset.builder(tmp.resolve("data")).categories(SyntheticDataset.TEXTURE).imageSize(112)
                .trainCount(20).testGoodCount(8).anomalousPerDefect(3).seed(1).build().generate();
        split = DatasetReaders.byName("mvtec").read(tmp.resolve("data"), SyntheticDataset.TEXTURE);
        vit = TestResources.tinyVit(tmp.resolve("vit"));
        /*
         * The tiny random ViT (ad-core test resources backbones/vit/README.md) at 112 px: an 8 x 8 grid of 14-px patches (below 100
         * patches, so the image score is the maximum patch distance). Random patch embeddings still separate the
         * synthetic defects (local colour and texture changes), a few references cover the texture's variation.
         */
        small = new HashMap<>(Map.of("backbone", vit.toString(), "image_size", "112", "shots", "4", "seed", "0"));
    }



    @Test
    void findsTheSyntheticDefectsAndReloadsToIdenticalScores() throws IOException {
        try (Detector d = Detectors.create("anomaly_dino", small)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            float[] s = scores(d, split.test());
            double auroc = BinaryMetrics.auroc(s, labels(split.test()));
            System.out.println("anomaly_dino image AUROC on synthetic texture: " + auroc);
            assertTrue(auroc > 0.8, "image AUROC on synthetic defects: " + auroc);

            Path model = tmp.resolve("model");
            d.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertEquals("anomaly_dino", loaded.name());
                assertArrayEquals(s, scores(loaded, split.test()), "loaded model scores identically");
                ImageData img = split.test().get(0).loadImage();
                AnomalyResult r = loaded.predict(img);
                assertArrayEquals(d.predict(img).map().values(), r.map().values());
                assertEquals(img.height(), r.map().height());
                assertEquals(d.calibration(), loaded.calibration());
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameScoresAndReferencesFollowTheSeed() {
        Map<String, String> oneShot = new HashMap<>(small);
        oneShot.put("shots", "1");
        float[] a;
        float[] b;
        List<Sample> test = split.test().subList(0, 3);
        try (Detector d = Detectors.create("anomaly_dino", oneShot)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            a = scores(d, test);
        }
        try (Detector d = Detectors.create("anomaly_dino", oneShot)) {
            d.fit(Detector.FitData.of(split.train(), List.of()));
            b = scores(d, test);
        }
        assertArrayEquals(a, b);

        List<Sample> train = split.train();
        List<String> ids = train.stream().map(Sample::id).sorted().toList();
        assertEquals(ids.subList(0, 2), AnomalyDinoDetector.references(train, 2, 0).stream().map(Sample::id).toList());
        assertEquals(ids.subList(6, 8), AnomalyDinoDetector.references(train, 2, 3).stream().map(Sample::id).toList());
        assertEquals(ids.size(), AnomalyDinoDetector.references(train, 0, 5).size());
        // Offsets wrap around the sorted list: 5 images, shots 2, seed 2 -> start 4, then 0.
        List<String> five = train.subList(0, 5).stream().map(Sample::id).sorted().toList();
        assertEquals(List.of(five.get(4), five.get(0)),
                AnomalyDinoDetector.references(train.subList(0, 5), 2, 2).stream().map(Sample::id).toList());
    }

    @Test
    void cosineDistanceIsOneMinusTheLargestCosineComputedByBruteForce() {
        Random r = new Random(4);
        int dim = 7;
        float[][] q = new float[30][dim];
        float[][] b = new float[50][dim];
        for (float[][] m : List.of(q, b)) {
            for (float[] row : m) {
                for (int j = 0; j < dim; j++) {
                    row[j] = (float) r.nextGaussian();
                }
            }
        }
        float[] qn = AnomalyDinoDetector.normalizeRows(flat(q), dim);
        float[] bn = AnomalyDinoDetector.normalizeRows(flat(b), dim);
        float[] got = AnomalyDinoDetector.cosineDistances(Nd4j.create(qn, new long[] {30, dim}, 'c'),
                Nd4j.create(bn, new long[] {50, dim}, 'c'));
        for (int i = 0; i < 30; i++) {
            double best = -2;
            for (int k = 0; k < 50; k++) {
                double dot = 0;
                double nq = 0;
                double nb = 0;
                for (int j = 0; j < dim; j++) {
                    dot += (double) q[i][j] * b[k][j];
                    nq += (double) q[i][j] * q[i][j];
                    nb += (double) b[k][j] * b[k][j];
                }
                best = Math.max(best, dot / Math.sqrt(nq * nb));
            }
            assertEquals(1 - best, got[i], 1e-5, "query " + i);
        }
    }

    static float[] flat(float[][] m) {
        float[] out = new float[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, out, i * m[0].length, m[0].length);
        }
        return out;
    }

    @Test
    void imageScoreIsTheMeanOfTheTopOnePercentOrTheMaximumBelowHundredPatches() {
        float[] few = {0.1f, 0.7f, 0.3f};
        assertEquals(0.7f, AnomalyDinoDetector.meanOfTopShare(few));
        float[] many = new float[250];
        for (int i = 0; i < many.length; i++) {
            many[i] = (i * 37) % 250; // a permutation of 0..249
        }
        // floor(250 / 100) = 2 largest: 249 and 248
        assertEquals(248.5f, AnomalyDinoDetector.meanOfTopShare(many));
    }

    @Test
    void rotationsOfQuarterTurnsPermutePixelsAndReflectTheBorder() {
        int h = 5;
        int w = 5;
        float[] px = new float[h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = i;
        }
        ImageData img = new ImageData(1, h, w, px, "grid");
        ImageData r90 = AnomalyDinoDetector.rotate(img, 90);
        ImageData r360 = AnomalyDinoDetector.rotate(AnomalyDinoDetector.rotate(r90, 90), 180);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Counter-clockwise as displayed: output (x, y) shows input (w-1-y, x).
                assertEquals(img.get(0, x, w - 1 - y), r90.get(0, y, x), 1e-4, "90 at " + x + "," + y);
                assertEquals(img.get(0, y, x), r360.get(0, y, x), 1e-4, "360 at " + x + "," + y);
            }
        }
        ImageData r45 = AnomalyDinoDetector.rotate(img, 45);
        assertEquals(img.get(0, 2, 2), r45.get(0, 2, 2), 1e-4, "the centre stays");
        assertEquals(1, AnomalyDinoDetector.reflect101(-1, 5));
        assertEquals(3, AnomalyDinoDetector.reflect101(5, 5));
        assertEquals(0, AnomalyDinoDetector.reflect101(8, 5));
    }

    @Test
    void foregroundMaskKeepsTheBlobWhoseFirstComponentStandsOut() {
        int gh = 10;
        int gw = 10;
        int dim = 6;
        Random r = new Random(2);
        float[] tokens = new float[gh * gw * dim];
        boolean[] blob = new boolean[gh * gw];
        for (int y = 0; y < gh; y++) {
            for (int x = 0; x < gw; x++) {
                int p = y * gw + x;
                blob[p] = y >= 3 && y < 7 && x >= 3 && x < 7;
                for (int j = 0; j < dim; j++) {
                    tokens[p * dim + j] = (float) (0.1 * r.nextGaussian()) + (blob[p] && j == 2 ? 60f : 0f);
                }
            }
        }
        boolean[] mask = ForegroundMask.compute(tokens, gh, gw, dim, 10);
        // The blob (16 of the 36 central patches, 44 % > 35 %) is foreground, then dilated once by 3 x 3
        // (the closing changes nothing on a square): rows/columns 2..7.
        for (int y = 0; y < gh; y++) {
            for (int x = 0; x < gw; x++) {
                boolean want = y >= 2 && y < 8 && x >= 2 && x < 8;
                assertEquals(want, mask[y * gw + x], "patch " + x + "," + y);
            }
        }
        // The projection's sign does not matter: the central-region test flips it.
        float[] flipped = tokens.clone();
        for (int i = 0; i < flipped.length; i++) {
            flipped[i] = -flipped[i];
        }
        assertArrayEquals(mask, ForegroundMask.compute(flipped, gh, gw, dim, 10));
    }

    @Test
    void tinyVitFixtureRunsInLibtorchAsInPyTorch() throws IOException {
        Npy.Array input;
        Npy.Array expected;
        try (InputStream in = java.nio.file.Files.newInputStream(vit.resolveSibling("input.npy"));
                InputStream ex = java.nio.file.Files.newInputStream(vit.resolveSibling("expected_tokens.npy"))) {
            input = Npy.read(in, "input.npy", 1 << 20);
            expected = Npy.read(ex, "expected_tokens.npy", 1 << 20);
        }
        try (TorchScriptBackbone b = TorchScriptBackbone.load(vit, Device.cpu());
                NDManager m = DjlEnvironment.engine().newBaseManager()) {
            assertEquals(List.of(14), b.strides());
            NDArray x = m.create(input.data(), new Shape(input.shape()));
            float[] got = b.extract(x).get("tokens").toFloatArray();
            assertArrayEquals(expected.data(), got, 1e-4f);
        }
    }

    @Test
    void aMissingBackboneFileSaysHowToExportIt() {
        Map<String, String> missing = new HashMap<>(small);
        missing.put("backbone", tmp.resolve("nope.pt").toString());
        try (Detector d = Detectors.create("anomaly_dino", missing)) {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> d.fit(Detector.FitData.of(split.train().subList(0, 2), List.of())));
            assertTrue(e.getMessage().contains("nope.pt") && e.getMessage().contains("export_backbone.py"),
                    e.getMessage());
        }
    }
}
