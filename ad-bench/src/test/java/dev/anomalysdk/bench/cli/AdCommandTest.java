package dev.anomalysdk.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anomalysdk.bench.predictions.ScoresCsv;
import dev.anomalysdk.core.data.DatasetReaders;
import dev.anomalysdk.core.data.DatasetSplit;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import dev.anomalysdk.core.metrics.BinaryMetrics;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AdCommandTest {
    static final String[] SMALL = {"--set", "backbone=resnet18:width=16", "--set", "image_size=64",
        "--set", "dictionary_size=32", "--set", "layers=layer1,layer2", "--set", "l1_normalize=false"};
    /** A tiny nsa network and schedule for the demo (its default detector): seconds per category. */
    static final String[] SMALL_NSA = {"--set", "widths=8,16", "--set", "stem_stride=2", "--set", "crop_size=32",
        "--set", "epochs=3", "--set", "validation_images=2", "--set", "validation_crops=4", "--threads", "1"};

    @TempDir
    static Path tmp;
    static Path data;
    static Path model;

    @BeforeAll
    static void datasetAndModel() throws IOException {
        data = tmp.resolve("data");
        SyntheticDataset.builder(data).categories(SyntheticDataset.TEXTURE).imageSize(64).trainCount(16)
                .testGoodCount(6).anomalousPerDefect(2).seed(4).build().generate();
        model = tmp.resolve("model");
        Run fit = ad(concat(new String[] {"fit", "--detector", "cnn_dictionary", "--data", data.toString(),
            "--category", "texture", "--out", model.toString()}, SMALL));
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("Fitted cnn_dictionary"), fit.out());
    }

    /** Runs {@code ad} in-process; returns exit code, stdout and stderr. */
    record Run(int code, String out, String err) { }

    static Run ad(String... args) {
        CommandLine cl = AdCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }

    @Test
    void fitPredictEvaluateWritesTheDocumentedFilesAndConsistentMetrics() throws IOException {
        assertTrue(Files.isRegularFile(model.resolve("manifest.json")));

        Path pred = tmp.resolve("pred");
        Run predict = ad("predict", "--model", model.toString(), "--input", data.resolve("texture/test").toString(),
                "--out", pred.toString());
        assertEquals(0, predict.code(), predict.err());

        DatasetSplit split = DatasetReaders.byName("mvtec").read(data, "texture");
        List<ScoresCsv.Row> rows = ScoresCsv.read(pred.resolve("scores.csv"));
        assertEquals(split.test().size(), rows.size());
        assertEquals(ScoresCsv.HEADER, Files.readAllLines(pred.resolve("scores.csv")).get(0));
        Map<String, Float> byPath = new HashMap<>();
        rows.forEach(r -> byPath.put(r.path(), r.score()));
        for (Sample s : split.test()) {
            assertTrue(byPath.containsKey(s.id()), "prediction for " + s.id());
            String stem = s.id().substring(0, s.id().lastIndexOf('.'));
            try (InputStream in = Files.newInputStream(pred.resolve("maps/" + stem + ".npy"))) {
                assertArrayEquals(new long[] {64, 64}, Npy.read(in, stem, 1 << 20).shape());
            }
            assertTrue(Files.isRegularFile(pred.resolve("overlays/" + stem + ".png")));
        }

        Path metrics = tmp.resolve("metrics.json");
        Run eval = ad("evaluate", "--data", data.toString(), "--category", "texture", "--pred", pred.toString(),
                "--out", metrics.toString());
        assertEquals(0, eval.code(), eval.err());
        JsonNode m = new ObjectMapper().readTree(metrics.toFile());
        float[] scores = new float[split.test().size()];
        boolean[] labels = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = byPath.get(split.test().get(i).id());
            labels[i] = split.test().get(i).anomalous();
        }
        assertEquals(BinaryMetrics.auroc(scores, labels), m.path("imageAuroc").asDouble(), 1e-12);
        assertTrue(m.path("pixelAuroc").isNumber(), "pixel metrics from the maps");
        assertTrue(eval.out().contains("texture"), eval.out());
    }

    @Test
    void demoRunsEndToEndAndPrintsATable() {
        Run demo = ad(concat(new String[] {"demo", "--workdir", tmp.resolve("demo").toString()}, SMALL_NSA));
        assertEquals(0, demo.code(), demo.err());
        assertTrue(demo.out().contains("I-AUROC") && demo.out().contains("object") && demo.out().contains("texture"),
                demo.out());
    }

    @Test
    void errorsAreOneClearLineWithANonZeroExitCode() throws IOException {
        Run unknown = ad("fit", "--detector", "nope", "--data", data.toString(), "--category", "texture", "--out",
                tmp.resolve("x").toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("ad: error: Unknown detector 'nope'") && unknown.err().contains("cnn_dictionary"),
                unknown.err());
        assertEquals(1, unknown.err().strip().lines().count(), "one line, no stack trace");

        Run badKey = ad("fit", "--detector", "cnn_dictionary", "--data", data.toString(), "--category", "texture",
                "--out", tmp.resolve("x").toString(), "--set", "colour=red");
        assertEquals(1, badKey.code());
        assertTrue(badKey.err().contains("'colour'"), badKey.err());

        Run missing = ad("fit", "--detector", "cnn_dictionary", "--data", tmp.resolve("nowhere").toString(),
                "--category", "texture", "--out", tmp.resolve("x").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nowhere"), missing.err());

        Run noModel = ad("predict", "--model", tmp.resolve("nomodel").toString(), "--input", data.toString(),
                "--out", tmp.resolve("p").toString());
        assertEquals(1, noModel.code());
        assertTrue(noModel.err().contains("nomodel"), noModel.err());

        Path partial = Files.createDirectories(tmp.resolve("partial"));
        Files.writeString(partial.resolve("scores.csv"), "path,score,label\ngood/000.png,0.5,0\n");
        Run eval = ad("evaluate", "--data", data.toString(), "--category", "texture", "--pred", partial.toString(),
                "--out", tmp.resolve("m.json").toString());
        assertEquals(1, eval.code());
        assertTrue(eval.err().contains("no prediction") && eval.err().contains("good/001.png"), eval.err());

        Run usage = ad("fit", "--detector");
        assertEquals(2, usage.code());
    }

    @Test
    void corruptImagesAndNewerModelsAreNamedInTheError() throws IOException {
        Path input = Files.createDirectories(tmp.resolve("corrupt-input"));
        Files.copy(data.resolve("texture/test/good/000.png"), input.resolve("ok.png"));
        byte[] png = Files.readAllBytes(data.resolve("texture/test/good/001.png"));
        Files.write(input.resolve("broken.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Run corrupt = ad("predict", "--model", model.toString(), "--input", input.toString(), "--out",
                tmp.resolve("p-corrupt").toString());
        assertEquals(1, corrupt.code());
        assertTrue(corrupt.err().contains("broken.png"), corrupt.err());

        Path newer = tmp.resolve("newer-model");
        try (var files = Files.walk(model)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = newer.resolve(model.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path manifest = newer.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"format_version\" : 1", "\"format_version\" : 7"));
        Run future = ad("predict", "--model", newer.toString(), "--input", input.resolve("ok.png").toString(), "--out",
                tmp.resolve("p-future").toString());
        assertEquals(1, future.code());
        assertTrue(future.err().contains("version 7") && future.err().contains("upgrade"), future.err());
    }

    @Test
    void predictFollowsAFolderReachedThroughALinkAndRefusesLinkLoops() throws IOException {
        Path real = data.resolve("texture/test");
        Path link = Files.createSymbolicLink(tmp.resolve("linked-test"), real);
        Run direct = ad("predict", "--model", model.toString(), "--input", real.toString(), "--out",
                tmp.resolve("p-direct").toString());
        assertEquals(0, direct.code(), direct.err());
        Run viaLink = ad("predict", "--model", model.toString(), "--input", link.toString(), "--out",
                tmp.resolve("p-link").toString());
        assertEquals(0, viaLink.code(), viaLink.err());
        long images;
        try (var files = Files.walk(real)) {
            images = files.filter(p -> p.toString().endsWith(".png") && !p.toString().contains("ground_truth")).count();
        }
        List<String> rows = Files.readAllLines(tmp.resolve("p-link/scores.csv"));
        assertEquals(images + 1, rows.size(), "header and one row per image");
        assertEquals(Files.readAllLines(tmp.resolve("p-direct/scores.csv")), rows);

        Path loopy = Files.createDirectories(tmp.resolve("loopy/sub"));
        Files.copy(data.resolve("texture/test/good/000.png"), loopy.resolve("000.png"));
        Files.createSymbolicLink(loopy.resolve("back"), tmp.resolve("loopy"));
        Run loop = ad("predict", "--model", model.toString(), "--input", tmp.resolve("loopy").toString(), "--out",
                tmp.resolve("p-loop").toString());
        assertEquals(1, loop.code());
        assertTrue(loop.err().contains("loop") && loop.err().contains(loopy.resolve("back").toString()), loop.err());
    }
}
