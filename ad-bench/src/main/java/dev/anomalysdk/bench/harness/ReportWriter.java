package dev.anomalysdk.bench.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.metrics.Curve;
import dev.anomalysdk.core.metrics.PixelMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import javax.imageio.ImageIO;

/**
 * Writes a benchmark's report files: {@code report.md} (charts and overlays linked), {@code report.html}
 * (self-contained: inline CSS, charts and thumbnails as base64 data URIs, no script), {@code results.csv}
 * (one row per pair, one column per {@link Metric}), {@code results.json} and {@code charts/*.png}.
 */
final class ReportWriter {
    private static final int THUMBNAIL = 160;
    private static final List<Metric> TABLE = List.of(Metric.IMAGE_AUROC, Metric.PIXEL_AUROC, Metric.AUPRO,
            Metric.IMAGE_F1_MAX, Metric.PIXEL_F1_MAX);
    private static final List<Metric> COST = List.of(Metric.FIT_SECONDS, Metric.LATENCY_MEDIAN_MS,
            Metric.LATENCY_P95_MS, Metric.THROUGHPUT, Metric.FIT_PEAK_HEAP_MB, Metric.PREDICT_PEAK_HEAP_MB,
            Metric.FIT_PEAK_RSS_MB, Metric.PREDICT_PEAK_RSS_MB, Metric.MODEL_MB);

    private final BenchmarkResult result;
    private final Path dir;
    private final List<String> detectors;
    private final List<String> categories;

    ReportWriter(BenchmarkResult result) {
        this.result = result;
        this.dir = result.reportDirectory();
        this.detectors = result.benchmark().detectors();
        this.categories = result.categories();
    }

    /** A chart written to {@code charts/}. */
    private record Chart(String category, String title, String file, byte[] png) { }

    void write() throws IOException {
        Files.createDirectories(dir);
        List<Chart> charts = charts();
        writeText(dir.resolve("results.csv"), csv());
        RunStore.writeJsonAtomically(json(), dir.resolve("results.json"));
        writeText(dir.resolve("report.md"), markdown(charts));
        writeText(dir.resolve("report.html"), html(charts));
    }

    private List<Chart> charts() throws IOException {
        List<Chart> out = new ArrayList<>();
        Path chartDir = Files.createDirectories(dir.resolve("charts"));
        for (String c : categories) {
            Map<String, Curve> imageRoc = new LinkedHashMap<>();
            Map<String, Curve> pixelRoc = new LinkedHashMap<>();
            Map<String, Curve> pro = new LinkedHashMap<>();
            for (String d : detectors) {
                PairResult p = result.pair(d, c);
                imageRoc.put(d, p.imageRoc());
                pixelRoc.put(d, p.pixelRoc());
                pro.put(d, p.pro());
            }
            out.add(chart(chartDir, c, "image ROC", "roc-image",
                    Charts.png(c + ": image ROC", "false-positive rate", "true-positive rate", 1, imageRoc, true)));
            if (pixelRoc.values().stream().anyMatch(v -> v != null)) {
                out.add(chart(chartDir, c, "pixel ROC", "roc-pixel", Charts.png(c + ": pixel ROC",
                        "false-positive rate", "true-positive rate", 1, pixelRoc, true)));
                out.add(chart(chartDir, c, "PRO", "pro", Charts.png(c + ": PRO curve (FPR up to 0.3)",
                        "false-positive rate", "per-region overlap", PixelMetrics.DEFAULT_FPR_LIMIT, pro, false)));
            }
        }
        return out;
    }

    private Chart chart(Path chartDir, String category, String title, String kind, byte[] png) throws IOException {
        String file = "charts/" + RunStore.safe(category) + "-" + kind + ".png";
        Path tmp = chartDir.resolve("." + RunStore.safe(category) + "-" + kind + ".png.tmp");
        Files.write(tmp, png);
        Files.move(tmp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Chart(category, title, file, png);
    }

    // ---------------------------------------------------------------- machine-readable

    private String csv() {
        StringBuilder sb = new StringBuilder("detector,category,train_images,test_images");
        for (Metric m : Metric.values()) {
            sb.append(',').append(m.key());
        }
        sb.append('\n');
        for (PairResult p : result.pairs()) {
            sb.append(p.detector()).append(',').append(csvField(p.category())).append(',').append(p.trainImages())
                    .append(',').append(p.testImages());
            for (Metric m : Metric.values()) {
                Double v = m.of(p);
                sb.append(',').append(v == null ? "" : String.format(Locale.ROOT, "%.6f", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private ObjectNode json() {
        ObjectNode root = RunStore.JSON.createObjectNode();
        root.put("generated_at", Instant.now().toString());
        root.put("data", result.benchmark().data().toString());
        root.put("format", result.format());
        root.set("environment", RunStore.JSON.valueToTree(result.environment()));
        ArrayNode exp = root.putArray("expectations");
        result.benchmark().expectations().forEach(e -> exp.add(e.toString()));
        ArrayNode fail = root.putArray("failures");
        result.failures().forEach(fail::add);
        ObjectNode means = root.putObject("means");
        for (String d : detectors) {
            ObjectNode m = means.putObject(d);
            for (Metric metric : Metric.values()) {
                OptionalDouble v = result.mean(d, metric);
                if (v.isPresent()) {
                    m.put(metric.key(), v.getAsDouble());
                }
            }
        }
        ArrayNode pairs = root.putArray("pairs");
        for (PairResult p : result.pairs()) {
            ObjectNode n = pairs.addObject();
            n.put("detector", p.detector());
            n.put("category", p.category());
            n.put("train_images", p.trainImages());
            n.put("test_images", p.testImages());
            ObjectNode values = n.putObject("values");
            for (Metric metric : Metric.values()) {
                Double v = metric.of(p);
                if (v != null) {
                    values.put(metric.key(), v);
                }
            }
            n.set("metrics", RunStore.JSON.valueToTree(p.metrics()));
            n.set("performance", RunStore.JSON.valueToTree(p.performance()));
            n.set("settings", RunStore.JSON.valueToTree(new java.util.TreeMap<>(p.settings())));
            n.put("predictions", p.predictions());
            n.put("finished_at", p.finishedAt());
        }
        return root;
    }

    // ---------------------------------------------------------------- markdown

    private String markdown(List<Chart> charts) {
        StringBuilder sb = new StringBuilder("# Benchmark report\n\n");
        sb.append("Dataset `").append(result.benchmark().data()).append("` (").append(result.format()).append("), ")
                .append(categories.size()).append(" categories, detectors: ").append(String.join(", ", detectors))
                .append(".\n\n");
        sb.append("## Metrics\n\n");
        mdTable(sb, TABLE);
        sb.append("\n## Cost\n\n");
        mdTable(sb, COST);
        sb.append("\nLatency: one image per call (decoded beforehand), median and 95th percentile over up to ")
                .append(result.benchmark().latencyImages()).append(" test images after a warm-up. Throughput: "
                        + "test images per second of model time in batches of 8. Heap: JVM heap in use, sampled. "
                        + "RSS: whole-process resident memory (heap + native) from /proc/self/status.\n");
        if (!result.benchmark().expectations().isEmpty()) {
            sb.append("\n## Expectations\n\n");
            result.benchmark().expectations().forEach(e -> sb.append("- `").append(e).append("`\n"));
            List<String> f = result.failures();
            sb.append(f.isEmpty() ? "\nAll met.\n" : "\n**Not met:**\n\n");
            f.forEach(m -> sb.append("- ").append(m).append('\n'));
        }
        sb.append("\n## Curves\n\n");
        for (Chart c : charts) {
            sb.append("![").append(c.category()).append(' ').append(c.title()).append("](").append(c.file())
                    .append(")\n");
        }
        sb.append("\n## Worst errors\n\nFalse positives: normal test images with the highest scores. False "
                + "negatives: anomalous test images with the lowest scores. Links go to heat-map overlays.\n\n");
        for (PairResult p : result.pairs()) {
            sb.append("### ").append(p.detector()).append(" / ").append(p.category()).append("\n\n");
            for (boolean fp : new boolean[] {true, false}) {
                sb.append(fp ? "- false positives: " : "- false negatives: ");
                List<String> links = new ArrayList<>();
                for (PairResult.GalleryItem g : p.gallery()) {
                    if (g.falsePositive() == fp) {
                        links.add("[" + g.image() + "](" + g.overlay() + ") " + fmt(g.score()));
                    }
                }
                sb.append(links.isEmpty() ? "none" : String.join(", ", links)).append('\n');
            }
            sb.append('\n');
        }
        sb.append("## Environment\n\n");
        for (Map.Entry<String, String> e : environment().entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        sb.append("\n## Settings\n\n");
        for (String d : detectors) {
            sb.append("- ").append(d).append(": `").append(settingsText(d)).append("`\n");
        }
        return sb.toString();
    }

    private void mdTable(StringBuilder sb, List<Metric> metrics) {
        sb.append("| detector | category |");
        metrics.forEach(m -> sb.append(' ').append(m.label()).append(" |"));
        sb.append("\n|---|---|");
        metrics.forEach(m -> sb.append("---:|"));
        sb.append('\n');
        for (String d : detectors) {
            for (String c : categories) {
                PairResult p = result.pair(d, c);
                sb.append("| ").append(d).append(" | ").append(c).append(" |");
                metrics.forEach(m -> sb.append(' ').append(fmt(m, m.of(p))).append(" |"));
                sb.append('\n');
            }
            sb.append("| **").append(d).append("** | **mean** |");
            metrics.forEach(m -> sb.append(" **").append(fmt(m, mean(d, m))).append("** |"));
            sb.append('\n');
        }
    }

    // ---------------------------------------------------------------- html

    private String html(List<Chart> charts) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Benchmark report</title>\n")
                .append("<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1300px;"
                        + "padding:0 1em;color:#222}\n")
                .append("h1,h2,h3{font-weight:600}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}\n")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:14px}\n")
                .append("th,td{border:1px solid #ccc;padding:4px 8px}th{background:#f3f3f3}\n")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums}\n")
                .append("tr.mean td{font-weight:600;background:#fafafa}\n")
                .append(".charts img{margin:4px;border:1px solid #eee}\n")
                .append("figure{display:inline-block;margin:4px;text-align:center;font-size:12px}\n")
                .append("figure img{display:block;border:1px solid #ccc;width:160px;height:auto}\n")
                .append(".fail{color:#b00020}.ok{color:#1b5e20}code{background:#f5f5f5;padding:1px 4px}\n")
                .append("</style></head><body>\n");
        sb.append("<h1>Benchmark report</h1>\n<p>Dataset <code>").append(esc(result.benchmark().data().toString()))
                .append("</code> (").append(esc(result.format())).append("), ").append(categories.size())
                .append(" categories, detectors: ").append(esc(String.join(", ", detectors))).append(".</p>\n");
        sb.append("<h2>Metrics</h2>\n");
        htmlTable(sb, TABLE, "metrics");
        sb.append("<h2>Cost</h2>\n");
        htmlTable(sb, COST, "cost");
        sb.append("<p>Latency: one image per call (decoded beforehand), median and 95th percentile over up to ")
                .append(result.benchmark().latencyImages()).append(" test images after a warm-up. Throughput: test "
                        + "images per second of model time in batches of 8. Heap: JVM heap in use, sampled. RSS: "
                        + "whole-process resident memory (heap + native) from <code>/proc/self/status</code> ("
                        + esc(rssMethods()) + ").</p>\n");
        if (!result.benchmark().expectations().isEmpty()) {
            sb.append("<h2>Expectations</h2>\n<ul>\n");
            result.benchmark().expectations().forEach(e -> sb.append("<li><code>").append(esc(e.toString()))
                    .append("</code></li>\n"));
            sb.append("</ul>\n");
            List<String> f = result.failures();
            if (f.isEmpty()) {
                sb.append("<p class=\"ok\">All met.</p>\n");
            } else {
                sb.append("<ul class=\"fail\">\n");
                f.forEach(m -> sb.append("<li>").append(esc(m)).append("</li>\n"));
                sb.append("</ul>\n");
            }
        }
        sb.append("<h2>Curves</h2>\n");
        for (String c : categories) {
            sb.append("<h3>").append(esc(c)).append("</h3>\n<div class=\"charts\">\n");
            for (Chart ch : charts) {
                if (ch.category().equals(c)) {
                    sb.append("<img class=\"chart\" alt=\"").append(esc(c + " " + ch.title()))
                            .append("\" src=\"data:image/png;base64,")
                            .append(Base64.getEncoder().encodeToString(ch.png())).append("\">\n");
                }
            }
            sb.append("</div>\n");
        }
        sb.append("<h2>Worst errors</h2>\n<p>False positives: normal test images with the highest scores. False "
                + "negatives: anomalous test images with the lowest scores. Heat maps of the normalized map "
                + "(red = at or above the threshold).</p>\n");
        for (PairResult p : result.pairs()) {
            sb.append("<h3>").append(esc(p.detector() + " / " + p.category())).append("</h3>\n");
            for (boolean fp : new boolean[] {true, false}) {
                sb.append("<div class=\"gallery\"><strong>").append(fp ? "False positives" : "False negatives")
                        .append("</strong><br>\n");
                for (PairResult.GalleryItem g : p.gallery()) {
                    if (g.falsePositive() != fp) {
                        continue;
                    }
                    sb.append("<figure><img class=\"overlay\" alt=\"").append(esc(g.image())).append("\" src=\"")
                            .append(thumbnail(dir.resolve(g.overlay()))).append("\"><figcaption>")
                            .append(esc(g.image())).append("<br>score ").append(fmt(g.score()))
                            .append(g.predictedAnomalous() ? " (flagged)" : " (passed)")
                            .append("</figcaption></figure>\n");
                }
                sb.append("</div>\n");
            }
        }
        sb.append("<h2>Environment</h2>\n<table class=\"environment\">\n");
        for (Map.Entry<String, String> e : environment().entrySet()) {
            sb.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue()))
                    .append("</td></tr>\n");
        }
        sb.append("</table>\n<h2>Settings</h2>\n<table class=\"settings\">\n");
        for (String d : detectors) {
            sb.append("<tr><th>").append(esc(d)).append("</th><td><code>").append(esc(settingsText(d)))
                    .append("</code></td></tr>\n");
        }
        sb.append("</table>\n</body></html>\n");
        return sb.toString();
    }

    private void htmlTable(StringBuilder sb, List<Metric> metrics, String cssClass) {
        sb.append("<table class=\"").append(cssClass).append("\">\n<tr><th>detector</th><th>category</th>");
        metrics.forEach(m -> sb.append("<th>").append(esc(m.label())).append("</th>"));
        sb.append("</tr>\n");
        for (String d : detectors) {
            for (String c : categories) {
                PairResult p = result.pair(d, c);
                sb.append("<tr class=\"pair\"><td>").append(esc(d)).append("</td><td>").append(esc(c)).append("</td>");
                metrics.forEach(m -> sb.append("<td class=\"num\">").append(fmt(m, m.of(p))).append("</td>"));
                sb.append("</tr>\n");
            }
            sb.append("<tr class=\"mean\"><td>").append(esc(d)).append("</td><td>mean</td>");
            metrics.forEach(m -> sb.append("<td class=\"num\">").append(fmt(m, mean(d, m))).append("</td>"));
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private static String thumbnail(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        if (img == null) {
            throw new IOException("Not a readable image: " + png);
        }
        double scale = Math.min(1.0, (double) THUMBNAIL / Math.max(img.getWidth(), img.getHeight()));
        int w = Math.max(1, (int) Math.round(img.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(img.getHeight() * scale));
        BufferedImage t = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = t.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(t, "png", bytes);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    // ---------------------------------------------------------------- shared

    private Map<String, String> environment() {
        Environment e = result.environment();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CPU", e.cpu());
        m.put("cores", Integer.toString(e.cores()));
        m.put("OS", e.os());
        m.put("JVM", e.jvm());
        m.put("max heap", String.format(Locale.ROOT, "%.0f MiB", e.maxHeapBytes() / 1048576.0));
        m.put("DJL", e.djlVersion());
        m.put("engine", e.engine());
        m.put("anomaly-sdk", e.sdkVersion());
        m.put("seeds", seeds());
        m.put("RSS measured as", rssMethods());
        m.put("generated", Instant.now().toString());
        return m;
    }

    private String seeds() {
        List<String> s = new ArrayList<>();
        for (String d : detectors) {
            String seed = result.pairs().stream().filter(p -> p.detector().equals(d)).findFirst()
                    .map(p -> p.settings().get("seed")).orElse(null);
            s.add(d + "=" + (seed == null ? "n/a" : seed));
        }
        return String.join(", ", s);
    }

    private String rssMethods() {
        return String.join("; ", result.pairs().stream().map(p -> p.performance().rssMethod()).distinct().toList());
    }

    private String settingsText(String detector) {
        Map<String, String> s = result.pairs().stream().filter(p -> p.detector().equals(detector)).findFirst()
                .map(PairResult::settings).orElse(Map.of());
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(s).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=')
                .append(v));
        return sb.toString();
    }

    private Double mean(String detector, Metric m) {
        OptionalDouble v = result.mean(detector, m);
        return v.isPresent() ? v.getAsDouble() : null;
    }

    private static String fmt(Metric m, Double v) {
        if (v == null) {
            return "-";
        }
        if (m.isQuality()) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.2f", v);
    }

    private static String fmt(float score) {
        return String.format(Locale.ROOT, "%.4g", score);
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static void writeText(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
