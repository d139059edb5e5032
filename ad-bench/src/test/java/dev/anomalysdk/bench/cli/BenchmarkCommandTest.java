package dev.anomalysdk.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anomalysdk.bench.predictions.ScoresCsv;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.testing.TestResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ad benchmark} on the synthetic dataset with every registered detector. */
class BenchmarkCommandTest {
    static final List<String> CATEGORIES = List.of("object", "texture");
    static final int GALLERY = 2;

    @TempDir
    static Path tmp;
    static Path data;
    static Path report;
    static AdCommandTest.Run run;
    static List<String> detectors;

    @BeforeAll
    static void benchmark() throws IOException {
        data = tmp.resolve("data");
        SyntheticDataset.builder(data).imageSize(64).trainCount(12).testGoodCount(4).anomalousPerDefect(1).seed(5)
                .build().generate();
        report = tmp.resolve("report");
        detectors = Detectors.names();
        Path vit = TestResources.tinyVit(tmp.resolve("vit"));
        // image_size applies to every detector that declares it; the rest to one detector each (tiny networks).
        run = AdCommandTest.ad("benchmark", "--detectors", "all", "--data", data.toString(), "--categories", "all",
                "--out", report.toString(), "--latency-images", "3", "--gallery", Integer.toString(GALLERY),
                "--set", "image_size=64", "--set", "cnn_dictionary.backbone=resnet18:width=16",
                "--set", "cnn_dictionary.layers=layer1,layer2", "--set", "cnn_dictionary.l1_normalize=false",
                "--set", "cnn_dictionary.dictionary_size=32", "--set", "cnn_dictionary.kmeans_iterations=10",
                "--set", "padim.backbone=resnet18:width=16", "--set", "padim.crop_size=0",
                "--set", "padim.feature_dim=32",
                "--set", "anomaly_dino.backbone=" + vit, "--set", "anomaly_dino.image_size=112",
                "--set", "anomaly_dino.shots=4",
                "--set", "epochs=1", "--set", "batch_size=4",
                "--set", "reverse_distillation.backbone=resnet18:width=8",
                "--set", "stfpm.backbone=resnet18:width=8",
                "--set", "mkd.backbone=vgg16:width=4", "--set", "mkd.cloner_width=4",
                "--set", "draem.recon_width=8", "--set", "draem.disc_width=8",
                "--set", "dsr.hidden=8", "--set", "dsr.residual_hidden=4", "--set", "dsr.residual_layers=1",
                "--set", "dsr.embedding_dim=8", "--set", "dsr.codebook_size=16", "--set", "dsr.detection_width=4",
                "--set", "dsr.upsampling_width=4", "--set", "dsr.vq_epochs=1", "--set", "dsr.upsampling_epochs=1",
                "--set", "dsr.samples_per_epoch=0",
                "--set", "autoencoder.width=8", "--set", "memae.width=8", "--set", "memae.memory_slots=50",
                "--set", "nsa.widths=8,16", "--set", "nsa.crop_size=32", "--set", "nsa.validation_images=2",
                "--set", "nsa.validation_crops=4", "--set", "filter_bank.image_size=64",
                "--set", "patchcore.backbone=resnet18:width=16", "--set", "patchcore.crop_size=0",
                "--set", "patchcore.pretrain_embed_dimension=64", "--set", "patchcore.target_embed_dimension=64");
    }

    @Test
    void writesEveryReportFileWithOneRowPerDetectorAndCategory() throws IOException {
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("I-AUROC") && run.out().contains("report.html"), run.out());
        for (String f : List.of("report.md", "report.html", "results.csv", "results.json")) {
            assertTrue(Files.isRegularFile(report.resolve(f)), f);
        }
        List<String> csv = Files.readAllLines(report.resolve("results.csv"));
        assertTrue(csv.get(0).startsWith("detector,category,train_images,test_images,image_auroc,"), csv.get(0));
        assertEquals(1 + detectors.size() * CATEGORIES.size(), csv.size(), String.join("\n", csv));
        String md = Files.readString(report.resolve("report.md"));
        for (String d : detectors) {
            assertTrue(md.contains("| **" + d + "** | **mean** |"), md);
            for (String c : CATEGORIES) {
                assertTrue(md.contains("| " + d + " | " + c + " |"), md);
                assertTrue(Files.isRegularFile(report.resolve("runs/" + d + "__" + c + ".json")));
            }
        }
        assertTrue(md.contains("AMD") || md.contains("Intel") || md.contains("CPU: "), md);
        JsonNode json = new ObjectMapper().readTree(report.resolve("results.json").toFile());
        assertTrue(json.path("environment").path("engine").asText().startsWith("PyTorch"), json.toString());
        assertEquals(detectors.size() * CATEGORIES.size(), json.path("pairs").size());
    }

    @Test
    void reportedMetricsEqualAdEvaluateOnTheSamePredictions() throws IOException {
        assertEquals(0, run.code(), run.err());
        JsonNode results = new ObjectMapper().readTree(report.resolve("results.json").toFile());
        Map<String, String> csvRows = new HashMap<>();
        List<String> csv = Files.readAllLines(report.resolve("results.csv"));
        List<String> header = List.of(csv.get(0).split(","));
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            csvRows.put(f[0] + "/" + f[1], f[header.indexOf("image_auroc")]);
        }
        for (JsonNode pair : results.path("pairs")) {
            String d = pair.path("detector").asText();
            String c = pair.path("category").asText();
            Path pred = report.resolve(pair.path("predictions").asText());
            Path metrics = tmp.resolve("evaluate-" + d + "-" + c + ".json");
            AdCommandTest.Run eval = AdCommandTest.ad("evaluate", "--data", data.toString(), "--category", c,
                    "--pred", pred.toString(), "--out", metrics.toString());
            assertEquals(0, eval.code(), eval.err());
            JsonNode m = new ObjectMapper().readTree(metrics.toFile());
            JsonNode reported = pair.path("metrics");
            for (String key : List.of("imageAuroc", "imageAveragePrecision", "pixelAuroc", "pixelAupro",
                    "pixelAveragePrecision")) {
                assertEquals(m.path(key).asDouble(), reported.path(key).asDouble(), 0.0, d + "/" + c + " " + key);
            }
            assertEquals(m.path("imageF1Max").path("f1").asDouble(), reported.path("imageF1Max").path("f1").asDouble(),
                    0.0);
            // And independently of both: the image AUROC recomputed from scores.csv and the ground truth.
            DatasetSplit split = DatasetReaders.byName("mvtec").read(data, c);
            Map<String, Float> scores = new HashMap<>();
            ScoresCsv.read(pred.resolve("scores.csv")).forEach(r -> scores.put(r.path(), r.score()));
            float[] s = new float[split.test().size()];
            boolean[] l = new boolean[s.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(split.test().get(i).id());
                l[i] = split.test().get(i).anomalous();
            }
            double auroc = BinaryMetrics.auroc(s, l);
            assertEquals(auroc, reported.path("imageAuroc").asDouble(), 1e-12);
            assertEquals(auroc, Double.parseDouble(csvRows.get(d + "/" + c)), 1e-6);
        }
    }

    @Test
    void htmlReportIsSelfContainedAndRendersItsTablesAndImagesInChromium() throws Exception {
        assertEquals(0, run.code(), run.err());
        String html = Files.readString(report.resolve("report.html"));
        assertFalse(html.contains("<script") || html.contains("src=\"http") || html.contains("href=\"http"),
                "no scripts or external resources");
        // Render a copy with a probe that records what the browser loaded.
        String probe = "<script>window.addEventListener('load', function () {"
                + "var imgs = Array.prototype.slice.call(document.images);"
                + "var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;"
                + "var d = document.createElement('div'); d.id = 'render-check';"
                + "d.textContent = 'images=' + imgs.length + ' loaded=' + ok"
                + " + ' charts=' + document.querySelectorAll('img.chart').length"
                + " + ' pairRows=' + document.querySelectorAll('table.metrics tr.pair').length"
                + " + ' meanRows=' + document.querySelectorAll('table.metrics tr.mean').length;"
                + "document.body.appendChild(d); });</script>";
        Path page = report.resolve("render-check.html");
        Files.writeString(page, html.replace("</body>", probe + "</body>"));
        String dom = HeadlessChromium.dumpDom(page, tmp);
        Matcher m = Pattern.compile("id=\"render-check\">images=(\\d+) loaded=(\\d+) charts=(\\d+) pairRows=(\\d+) "
                + "meanRows=(\\d+)<").matcher(dom);
        assertTrue(m.find(), "probe output in the DOM: " + dom.substring(0, Math.min(500, dom.length())));
        int pairs = detectors.size() * CATEGORIES.size();
        // Three charts per category (image ROC, pixel ROC, PRO); per pair GALLERY false positives and negatives.
        int expectedImages = 3 * CATEGORIES.size() + pairs * 2 * GALLERY;
        assertEquals(expectedImages, Integer.parseInt(m.group(1)), m.group());
        assertEquals(expectedImages, Integer.parseInt(m.group(2)), "every image decoded: " + m.group());
        assertEquals(3 * CATEGORIES.size(), Integer.parseInt(m.group(3)), m.group());
        assertEquals(pairs, Integer.parseInt(m.group(4)), m.group());
        assertEquals(detectors.size(), Integer.parseInt(m.group(5)), m.group());
    }

    @Test
    void unknownKeysAndDetectorsAreOneLineErrorsNamingThem() {
        AdCommandTest.Run bad = AdCommandTest.ad("benchmark", "--detectors", "cnn_dictionary", "--data", data.toString(),
                "--out", tmp.resolve("bad").toString(), "--set", "cnn_dictionary.colour=red");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("ad: error: Detector 'cnn_dictionary' has no parameter 'colour'"), bad.err());
        AdCommandTest.Run nope = AdCommandTest.ad("benchmark", "--detectors", "nope", "--data", data.toString(),
                "--out", tmp.resolve("bad").toString());
        assertEquals(1, nope.code());
        assertTrue(nope.err().contains("'nope'") && nope.err().contains("cnn_dictionary"), nope.err());
    }
}
