package dev.anomalysdk.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import dev.anomalysdk.core.data.ImageFiles;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.data.SyntheticDataset;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * The contract every registered detector passes, written against the public API only ({@link Detectors},
 * {@link Detector}, {@link ImageData}, {@link AnomalyResult}). A module runs it with a one-line subclass naming
 * its package; every detector registered from that package is then checked, so a new detector is covered by
 * registering it.
 *
 * <p>Each detector needs tiny settings (a few seconds of fitting on 64 px synthetic images) in the module's
 * test resource {@value #SETTINGS}: lines {@code <detector>.<key>=<value>}; {@code ${tiny_vit}} stands for
 * the tiny random ViT fixture. A detector without settings fails the contract. A check a detector is known
 * to fail is disabled, visibly, with {@code contract.skip.<detector>.<check>=<reason>} (checks are named in
 * {@link Check}); it is then reported as skipped with the reason.
 */
public abstract class DetectorContract {
    /** The test resource with each detector's tiny settings and the disabled checks. */
    public static final String SETTINGS = "contract-settings.properties";
    private static final String SKIP = "contract.skip.";
    /** Predictions in the memory check: enough that a per-call leak shows as a difference of dozens. */
    private static final int REPEATED_PREDICTIONS = 50;
    private static final int THREADS = 4;
    /** Images each thread scores in the concurrency check. */
    private static final int CONCURRENT_IMAGES = 4;

    /** The checks, spelt as in the settings keys {@code contract.skip.<detector>.<check>}. */
    public enum Check {
        /** Unknown keys and unfitted use are rejected with the documented exceptions. */
        bad_config,
        /** Empty training sets and empty images are rejected; an empty list predicts to an empty list. */
        bad_input,
        /** Fitting on the tiny data succeeds (every later check needs it). */
        fit,
        /** Save then load scores and maps identically, with the same calibration. */
        save_load,
        /** Every map has its input image's size, whatever the image's size and aspect. */
        map_size,
        /** Grayscale, RGBA and 16-bit files score like the equivalent 8-bit RGB image. */
        image_formats,
        /** Many predictions leave no native arrays behind. */
        no_leak,
        /** Four threads sharing the detector get the sequential results. */
        concurrency,
        /** A closed detector throws instead of crashing the JVM. */
        closed
    }

    @TempDir
    static Path tmp;
    static DatasetSplit split;
    private static int previousThreads;

    /** @return the package whose registered detectors this module checks, e.g. {@code dev.anomalysdk.memorybank} */
    protected abstract String detectorPackage();

    @BeforeAll
    static void data() throws IOException {
        // The application sets process-wide threading; this test is the application. One intra-op thread keeps
        // a shared 2-core machine responsive.
        previousThreads = JniUtils.getNumThreads();
        DjlEnvironment.setThreads(1);
        SyntheticDataset.builder(tmp.resolve("data")).categories(SyntheticDataset.TEXTURE).imageSize(64)
                .trainCount(10).testGoodCount(2).anomalousPerDefect(1).seed(11).build().generate();
        split = DatasetReaders.byName("mvtec").read(tmp.resolve("data"), SyntheticDataset.TEXTURE);
    }

    /** Gives the JVM's later test classes the thread count they had. */
    @AfterAll
    static void restoreThreads() {
        DjlEnvironment.setThreads(previousThreads);
    }

    @TestFactory
    Stream<DynamicNode> everyRegisteredDetector() throws IOException {
        Properties settings = loadSettings();
        List<String> names = Detectors.names().stream()
                .filter(n -> Detectors.provider(n).getClass().getName().startsWith(detectorPackage() + "."))
                .toList();
        List<DynamicNode> nodes = new ArrayList<>();
        nodes.add(DynamicTest.dynamicTest("detectors are registered from " + detectorPackage(),
                () -> assertTrue(!names.isEmpty(), "no detector of " + detectorPackage() + " in " + Detectors.names())));
        nodes.add(DynamicTest.dynamicTest(SETTINGS + " names registered detectors and known checks",
                () -> checkSettingsKeys(settings, names)));
        for (String name : names) {
            nodes.add(DynamicContainer.dynamicContainer(name, new Run(name, settings).checks()));
        }
        return nodes.stream();
    }

    /** A misspelt detector or check in the settings would silently test nothing or skip nothing. */
    private static void checkSettingsKeys(Properties settings, List<String> names) {
        List<String> checks = Arrays.stream(Check.values()).map(Enum::name).toList();
        for (String key : settings.stringPropertyNames()) {
            String rest = key.startsWith(SKIP) ? key.substring(SKIP.length()) : key;
            int dot = rest.indexOf('.');
            String detector = dot < 0 ? rest : rest.substring(0, dot);
            assertTrue(names.contains(detector), "'" + key + "' in " + SETTINGS + " names no detector registered here "
                    + names);
            if (key.startsWith(SKIP)) {
                assertTrue(checks.contains(rest.substring(dot + 1)), "'" + key + "' names no check of " + checks);
            }
        }
    }

    private Properties loadSettings() throws IOException {
        Properties p = new Properties();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(SETTINGS)) {
            if (in != null) {
                p.load(in);
            }
        }
        return p;
    }

    /** One detector's pass through the checks; the fitted detector is shared by the checks that follow fit. */
    private static final class Run {
        private final String name;
        private final Properties properties;
        private Map<String, String> settings;
        private Detector detector;
        private List<ImageData> probes;

        Run(String name, Properties properties) {
            this.name = name;
            this.properties = properties;
        }

        Stream<DynamicNode> checks() {
            Map<String, String> tiny = tinySettings();
            if (tiny.isEmpty()) {
                return Stream.of(DynamicTest.dynamicTest("tiny settings", () -> fail("Detector '" + name
                        + "' is registered but has no tiny settings for the detector contract: add lines '" + name
                        + ".<key>=<value>' to src/test/resources/" + SETTINGS + " of its module (small image_size, "
                        + "tiny network, one or two epochs) so that it fits in seconds on 64 px images")));
            }
            settings = tiny;
            return Stream.of(
                    check(Check.bad_config, this::badConfig),
                    check(Check.bad_input, this::badInput),
                    check(Check.fit, this::fit),
                    check(Check.save_load, this::saveLoad),
                    check(Check.map_size, this::mapSize),
                    check(Check.image_formats, this::imageFormats),
                    check(Check.no_leak, this::noLeak),
                    check(Check.concurrency, this::concurrency),
                    check(Check.closed, this::closed));
        }

        private Map<String, String> tinySettings() {
            Map<String, String> out = new TreeMap<>();
            for (String key : properties.stringPropertyNames()) {
                if (key.startsWith(name + ".")) {
                    out.put(key.substring(name.length() + 1), resolve(properties.getProperty(key).trim()));
                }
            }
            return out;
        }

        private static String resolve(String value) {
            if (!value.contains("${tiny_vit}")) {
                return value;
            }
            try {
                return value.replace("${tiny_vit}", TestResources.tinyVit(tmp.resolve("vit")).toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private DynamicTest check(Check check, Executable body) {
            String reason = properties.getProperty(SKIP + name + "." + check.name());
            return DynamicTest.dynamicTest(check.name(), () -> {
                if (check == Check.closed && detector != null && (reason != null || !detector.isFitted())) {
                    detector.close(); // the last check: release the detector even when the check cannot run
                }
                Assumptions.assumeTrue(reason == null,
                        () -> name + " " + check + " disabled in " + SETTINGS + ": " + reason);
                if (check != Check.bad_config && check != Check.bad_input && check != Check.fit) {
                    Assumptions.assumeTrue(detector != null && detector.isFitted(), "fit failed or is disabled");
                }
                try {
                    body.execute();
                } catch (AssertionError | RuntimeException e) {
                    if (e instanceof TestAbortedException) {
                        throw e;
                    }
                    // Surefire reports dynamic tests by index: say which detector and check failed.
                    throw new AssertionError(name + " failed the contract check '" + check + "': " + e, e);
                }
            });
        }

        private Detector create() {
            return Detectors.create(name, settings);
        }

        private void badConfig() {
            Map<String, String> unknown = new HashMap<>(settings);
            unknown.put("no_such_contract_key", "1");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Detectors.create(name, unknown).close());
            assertTrue(e.getMessage().contains("no_such_contract_key"), "message names the key: " + e.getMessage());
            try (Detector d = create()) {
                assertTrue(!d.isFitted(), "a new detector is not fitted");
                ImageData image = split.test().get(0).loadImage();
                assertThrows(IllegalStateException.class, () -> d.predict(image), "predict before fit");
                assertThrows(IllegalStateException.class, () -> d.save(tmp.resolve(name + "-unfitted")),
                        "save before fit");
                assertThrows(IllegalStateException.class, d::calibration, "calibration before fit");
            }
        }

        private void badInput() {
            // Documented by Detector.FitData and ImageData: both reject before any detector code runs.
            assertThrows(IllegalArgumentException.class, () -> Detector.FitData.of(List.of(), List.of()));
            assertThrows(IllegalArgumentException.class, () -> new ImageData(3, 0, 5, new float[0], "empty"));
            assertThrows(IllegalArgumentException.class, () -> new ImageData(1, 5, 0, new float[0], "empty"));
        }

        private void fit() {
            detector = create();
            detector.fit(Detector.FitData.of(split.train(), List.of()));
            assertTrue(detector.isFitted());
            probes = split.test().stream().map(Sample::loadImage).toList();
            assertEquals(List.of(), detector.predict(List.of()), "no images, no results");
        }

        private void saveLoad() throws IOException {
            Path model = tmp.resolve(name + "-model");
            List<AnomalyResult> before = detector.predict(probes);
            detector.save(model);
            try (Detector loaded = Detectors.load(model)) {
                assertEquals(name, loaded.name());
                assertEquals(detector.config(), loaded.config());
                assertEquals(detector.calibration(), loaded.calibration());
                assertSameResults(before, loaded.predict(probes), "after load");
            }
        }

        private void mapSize() {
            List<ImageData> images = List.of(noise(3, 64, 64, 1), noise(3, 40, 72, 2), noise(1, 97, 31, 3),
                    noise(3, 128, 128, 4), noise(1, 17, 23, 5));
            List<AnomalyResult> results = detector.predict(images);
            assertEquals(images.size(), results.size());
            for (int i = 0; i < images.size(); i++) {
                ImageData img = images.get(i);
                AnomalyResult r = results.get(i);
                String what = img.width() + "x" + img.height() + " image";
                assertEquals(img.height(), r.map().height(), what);
                assertEquals(img.width(), r.map().width(), what);
                assertTrue(Float.isFinite(r.score()), what + ": score " + r.score());
                for (float v : r.map().valuesView()) {
                    assertTrue(Float.isFinite(v), what + ": map value " + v);
                }
            }
        }

        /**
         * The same picture as 8-bit RGB, 8-bit RGBA (opaque), 16-bit RGB, 8-bit gray and 16-bit gray files: the
         * colour files hold the same values, so they score alike; the gray files are compared with the RGB file
         * holding the gray value in all three channels.
         */
        private void imageFormats() throws IOException {
            Path dir = Files.createDirectories(tmp.resolve(name + "-formats"));
            int w = 48;
            int h = 40;
            int[][] rgb = new int[3][w * h];
            SplittableRandom rng = new SplittableRandom(7);
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < w * h; i++) {
                    rgb[c][i] = rng.nextInt(256);
                }
            }
            int[] gray = rgb[1];
            ImageData colour8 = write(dir.resolve("rgb8.png"), BufferedImage.TYPE_3BYTE_BGR, w, rgb, 1);
            ImageData rgba8 = write(dir.resolve("rgba8.png"), BufferedImage.TYPE_4BYTE_ABGR, w, rgb, 1);
            ImageData colour16 = write16Rgb(dir.resolve("rgb16.png"), w, rgb);
            ImageData grayAsRgb = write(dir.resolve("gray-as-rgb.png"), BufferedImage.TYPE_3BYTE_BGR, w,
                    new int[][] {gray, gray, gray}, 1);
            ImageData gray8 = write(dir.resolve("gray8.png"), BufferedImage.TYPE_BYTE_GRAY, w, new int[][] {gray}, 1);
            ImageData gray16 = write(dir.resolve("gray16.png"), BufferedImage.TYPE_USHORT_GRAY, w,
                    new int[][] {gray}, 257);
            assertEquals(3, rgba8.channels(), "RGBA reads as RGB");
            assertEquals(1, gray16.channels(), "16-bit gray reads as gray");
            List<AnomalyResult> r = detector.predict(List.of(colour8, rgba8, colour16, grayAsRgb, gray8, gray16));
            assertClose(r.get(0), r.get(1), "RGBA vs RGB");
            assertClose(r.get(0), r.get(2), "16-bit RGB vs 8-bit RGB");
            assertClose(r.get(3), r.get(4), "8-bit gray vs gray replicated in RGB");
            assertClose(r.get(3), r.get(5), "16-bit gray vs gray replicated in RGB");
        }

        private void noLeak() {
            List<ImageData> images = List.of(probes.get(0), noise(1, 40, 72, 8));
            detector.predict(images); // first call may build caches that live with the detector
            int live = liveArrays();
            try (NDManager m = NDManager.newBaseManager()) {
                m.zeros(new Shape(2));
                assertEquals(live + 1, liveArrays(), "the count sees every manager's arrays");
            }
            for (int i = 0; i < REPEATED_PREDICTIONS; i++) {
                detector.predict(images.get(i % images.size()));
            }
            assertEquals(live, liveArrays(), "live native arrays after " + REPEATED_PREDICTIONS + " predictions");
        }

        private void concurrency() throws Exception {
            List<ImageData> probes = this.probes.subList(0, CONCURRENT_IMAGES);
            List<AnomalyResult> sequential = new ArrayList<>();
            for (ImageData image : probes) {
                sequential.add(detector.predict(image));
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<List<AnomalyResult>>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        // Each thread starts at a different image, so different images are scored at once.
                        AnomalyResult[] out = new AnomalyResult[probes.size()];
                        for (int k = 0; k < probes.size(); k++) {
                            int i = (k + offset) % probes.size();
                            out[i] = detector.predict(probes.get(i));
                        }
                        return Arrays.asList(out);
                    }));
                }
                for (int t = 0; t < THREADS; t++) {
                    assertSameResults(sequential, futures.get(t).get(), "thread " + t);
                }
            } finally {
                pool.shutdownNow();
            }
        }

        private void closed() {
            Detector d = detector;
            detector = null;
            d.close();
            ImageData image = probes.get(0);
            assertThrows(RuntimeException.class, () -> d.predict(image), "predict on a closed detector");
        }

        private static void assertSameResults(List<AnomalyResult> expected, List<AnomalyResult> actual, String when) {
            assertEquals(expected.size(), actual.size(), when);
            for (int i = 0; i < expected.size(); i++) {
                AnomalyResult e = expected.get(i);
                AnomalyResult a = actual.get(i);
                assertEquals(e.score(), a.score(), "score of image " + i + " " + when);
                assertEquals(e.normalizedScore(), a.normalizedScore(), "normalized score of image " + i + " " + when);
                assertEquals(e.anomalous(), a.anomalous(), "label of image " + i + " " + when);
                assertEquals(e.map().height(), a.map().height(), when);
                assertArrayEquals(e.map().valuesView(), a.map().valuesView(), "map of image " + i + " " + when);
            }
        }

        /**
         * Equal inputs up to float rounding of the pixel conversion (x/255 against x*257/65535, luma weights
         * summing to 1): the results may differ only by rounding, amplified a little by the network.
         */
        private static void assertClose(AnomalyResult expected, AnomalyResult actual, String what) {
            float scale = Math.max(1e-3f, Math.abs(expected.map().max() - expected.map().min()));
            float tolerance = 1e-3f * Math.max(scale, Math.abs(expected.score()));
            assertEquals(expected.score(), actual.score(), tolerance, what + ": score");
            float[] e = expected.map().valuesView();
            float[] a = actual.map().valuesView();
            assertEquals(e.length, a.length, what + ": map size");
            for (int i = 0; i < e.length; i++) {
                if (Math.abs(e[i] - a[i]) > 1e-3f * scale + tolerance) {
                    fail(what + ": map value " + i + " is " + a[i] + ", expected " + e[i]);
                }
            }
        }
    }

    /** @return the number of native arrays alive in the whole process (every manager hangs off the system one) */
    static int liveArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    static ImageData noise(int channels, int h, int w, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] px = new float[channels * h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rng.nextDouble();
        }
        return new ImageData(channels, h, w, px, "noise-" + seed);
    }

    /** Writes 8-bit bands (times {@code scale}, for 16-bit types) as a PNG and reads it back as users' files are. */
    static ImageData write(Path file, int type, int w, int[][] bands, int scale) throws IOException {
        int h = bands[0].length / w;
        BufferedImage img = new BufferedImage(w, h, type);
        WritableRaster raster = img.getRaster();
        // Band order of the raster follows the colour model: R, G, B (, A) for the byte types.
        for (int b = 0; b < bands.length; b++) {
            raster.setSamples(0, 0, w, h, b, scaled(bands[b], scale));
        }
        if (img.getColorModel().hasAlpha()) {
            int[] opaque = new int[w * h];
            Arrays.fill(opaque, 255);
            raster.setSamples(0, 0, w, h, 3, opaque);
        }
        return writeAndRead(img, file);
    }

    /** A 16-bit-per-channel RGB PNG (48 bits per pixel) holding {@code 257 * v}, i.e. exactly v / 255. */
    static ImageData write16Rgb(Path file, int w, int[][] rgb) throws IOException {
        int h = rgb[0].length / w;
        var cs = ColorSpace.getInstance(ColorSpace.CS_sRGB);
        var cm = new ComponentColorModel(cs, false, false, Transparency.OPAQUE,
                DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        for (int b = 0; b < 3; b++) {
            raster.setSamples(0, 0, w, h, b, scaled(rgb[b], 257));
        }
        return writeAndRead(new BufferedImage(cm, raster, false, null), file);
    }

    private static int[] scaled(int[] values, int scale) {
        int[] out = new int[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] * scale;
        }
        return out;
    }

    private static ImageData writeAndRead(BufferedImage img, Path file) throws IOException {
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for " + img);
        }
        return ImageFiles.read(file);
    }
}
