package dev.anomalysdk.core.data;

import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.Mask;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a small synthetic dataset in MVTec AD layout (readable with {@link MvtecReader}): the default data of
 * the demo and of the detector tests.
 *
 * <p>Categories:
 * <ul>
 *   <li>{@value #TEXTURE}: a woven fabric-like texture with smooth colour variation;</li>
 *   <li>{@value #OBJECT}: a metal washer with a locating notch on a plain background, with small pose
 *       jitter.</li>
 * </ul>
 * Every image varies in lighting (gain and gradient), position (texture phase, object centre and notch
 * angle) and sensor noise, so a plain pixel difference against a reference does not find the defects. Defect
 * types ({@link #DEFECT_TYPES}): {@code scratch} (a thin bright or dark line), {@code hole} (a dark irregular
 * blob), {@code stain} (a coloured blob), {@code missing} (a bite out of the washer, or a patch of the fabric
 * without weave). Each anomalous image has an exact 0/255 mask {@code ground_truth/<defect>/<stem>_mask.png}.
 *
 * <pre>
 * root/{category}/train/good/000.png ...
 * root/{category}/test/good/000.png ...
 * root/{category}/test/{defect}/000.png ...
 * root/{category}/ground_truth/{defect}/000_mask.png ...
 * </pre>
 *
 * <p>Generation is deterministic: the same settings and seed give byte-identical files (each image draws from
 * its own random stream derived from the seed, category, folder and index). Immutable; build with
 * {@link #builder(Path)} and call {@link #generate()}.
 */
public final class SyntheticDataset {
    /** The texture category. */
    public static final String TEXTURE = "texture";
    /** The object category. */
    public static final String OBJECT = "object";
    /** All categories, the default. */
    public static final List<String> CATEGORIES = List.of(TEXTURE, OBJECT);
    /** The defect types, one test folder each. */
    public static final List<String> DEFECT_TYPES = List.of("scratch", "hole", "stain", "missing");

    private static final Logger LOG = LoggerFactory.getLogger(SyntheticDataset.class);
    private static final double TWO_PI = 2 * Math.PI;

    private final Path root;
    private final List<String> categories;
    private final int imageSize;
    private final int trainCount;
    private final int testGoodCount;
    private final int anomalousPerDefect;
    private final long seed;
    private final boolean overwrite;

    private SyntheticDataset(Builder b) {
        this.root = b.root;
        this.categories = b.categories;
        this.imageSize = b.imageSize;
        this.trainCount = b.trainCount;
        this.testGoodCount = b.testGoodCount;
        this.anomalousPerDefect = b.anomalousPerDefect;
        this.seed = b.seed;
        this.overwrite = b.overwrite;
    }

    /**
     * @param root the folder to write the categories into
     * @return a builder with the defaults: both categories, 128 px, 40 train, 10 good test and 5 anomalous
     *     test images per defect type, seed 0
     */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** @return the dataset root */
    public Path root() {
        return root;
    }

    /** @return the categories written */
    public List<String> categories() {
        return categories;
    }

    /** @return the image side in pixels */
    public int imageSize() {
        return imageSize;
    }

    /** @return training images per category */
    public int trainCount() {
        return trainCount;
    }

    /** @return normal test images per category */
    public int testGoodCount() {
        return testGoodCount;
    }

    /** @return anomalous test images per defect type and category */
    public int anomalousPerDefect() {
        return anomalousPerDefect;
    }

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /**
     * Writes the dataset.
     *
     * @return the root
     * @throws IOException naming the folder when a category folder exists and is not empty (unless
     *     {@link Builder#overwrite(boolean)}), or when a file cannot be written
     */
    public Path generate() throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(root);
        for (String cat : categories) {
            Path catDir = root.resolve(cat);
            if (Files.isDirectory(catDir) && !isEmpty(catDir)) {
                if (!overwrite) {
                    throw new IOException("Refusing to overwrite the non-empty folder " + catDir
                            + " (use overwrite(true) to replace it)");
                }
                deleteTree(catDir);
            }
            int digits = Math.max(3, String.valueOf(Math.max(Math.max(trainCount, testGoodCount), anomalousPerDefect)).length());
            String fmt = "%0" + digits + "d";
            for (int i = 0; i < trainCount; i++) {
                SplittableRandom rng = rng(cat, "train", i);
                Scene s = normal(cat, rng);
                ImageFiles.writePng(s.finish(rng), catDir.resolve("train/good/" + String.format(fmt, i) + ".png"));
            }
            for (int i = 0; i < testGoodCount; i++) {
                SplittableRandom rng = rng(cat, "test/good", i);
                Scene s = normal(cat, rng);
                ImageFiles.writePng(s.finish(rng), catDir.resolve("test/good/" + String.format(fmt, i) + ".png"));
            }
            for (String defect : DEFECT_TYPES) {
                for (int i = 0; i < anomalousPerDefect; i++) {
                    SplittableRandom rng = rng(cat, "test/" + defect, i);
                    Scene s = normal(cat, rng);
                    boolean[] mask = s.defect(defect, rng);
                    String stem = String.format(fmt, i);
                    ImageFiles.writePng(s.finish(rng), catDir.resolve("test/" + defect + "/" + stem + ".png"));
                    ImageFiles.writeMask(new Mask(imageSize, imageSize, mask),
                            catDir.resolve("ground_truth/" + defect + "/" + stem + "_mask.png"));
                }
            }
        }
        LOG.info("Synthetic dataset ({} categories, {} px, seed {}) written to {} in {} ms", categories.size(),
                imageSize, seed, root, (System.nanoTime() - t0) / 1_000_000);
        return root;
    }

    private SplittableRandom rng(String category, String folder, int index) {
        long h = seed;
        h = h * 0x9E3779B97F4A7C15L + category.hashCode();
        h = h * 0x9E3779B97F4A7C15L + folder.hashCode();
        h = h * 0x9E3779B97F4A7C15L + index;
        return new SplittableRandom(h);
    }

    private Scene normal(String category, SplittableRandom rng) {
        return category.equals(TEXTURE) ? Scene.texture(imageSize, rng) : Scene.object(imageSize, rng);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** One image being drawn: clean colours, the object's coverage and the background, before lighting. */
    private static final class Scene {
        final int n;
        final float[] rgb;
        final float[] background;
        final float[] coverage;
        final boolean object;
        // object geometry (pixels)
        double cx;
        double cy;
        double outer;
        double inner;
        double notchAngle;

        private Scene(int n, boolean object) {
            this.n = n;
            this.object = object;
            this.rgb = new float[3 * n * n];
            this.background = new float[3 * n * n];
            this.coverage = new float[n * n];
        }

        static Scene texture(int n, SplittableRandom rng) {
            Scene s = new Scene(n, false);
            double period = n / 16.0;
            double ox = rng.nextDouble() * 2 * period;
            double oy = rng.nextDouble() * 2 * period;
            float[] low = smoothNoise(n, 6, rng);
            float[] base = {0.62f, 0.50f, 0.36f};
            int plane = n * n;
            double[] colProfile = new double[n];
            long[] colCell = new long[n];
            double[] rowProfile = new double[n];
            long[] rowCell = new long[n];
            for (int k = 0; k < n; k++) {
                double tx = (k + ox) / period;
                colCell[k] = (long) StrictMath.floor(tx);
                colProfile[k] = StrictMath.sin(Math.PI * (tx - colCell[k]));
                double ty = (k + oy) / period;
                rowCell[k] = (long) StrictMath.floor(ty);
                rowProfile[k] = StrictMath.sin(Math.PI * (ty - rowCell[k]));
            }
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    boolean horizontal = ((colCell[x] + rowCell[y]) & 1) == 0;
                    double profile = horizontal ? rowProfile[y] : colProfile[x];
                    double v = 0.70 + 0.30 * profile + 0.07 * low[y * n + x];
                    int i = y * n + x;
                    for (int c = 0; c < 3; c++) {
                        s.rgb[c * plane + i] = (float) (base[c] * v);
                        s.background[c * plane + i] = (float) (base[c] * 0.45);
                    }
                    s.coverage[i] = 1f;
                }
            }
            return s;
        }

        static Scene object(int n, SplittableRandom rng) {
            Scene s = new Scene(n, true);
            s.cx = n / 2.0 + (rng.nextDouble() - 0.5) * 0.06 * n;
            s.cy = n / 2.0 + (rng.nextDouble() - 0.5) * 0.06 * n;
            s.outer = 0.34 * n * (1 + (rng.nextDouble() - 0.5) * 0.03);
            s.inner = 0.14 * n;
            s.notchAngle = -Math.PI / 2 + (rng.nextDouble() - 0.5) * 0.3;
            double light = -Math.PI * 0.75 + (rng.nextDouble() - 0.5) * 0.4;
            double notchDepth = 0.07 * n;
            double notchCos = StrictMath.cos(0.11);
            double notchX = StrictMath.cos(s.notchAngle);
            double notchY = StrictMath.sin(s.notchAngle);
            double lightX = StrictMath.cos(light);
            double lightY = StrictMath.sin(light);
            float[] bg = {0.16f, 0.19f, 0.23f};
            float[] metal = {0.78f, 0.76f, 0.72f};
            float[] low = smoothNoise(n, 4, rng);
            int plane = n * n;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int i = y * n + x;
                    double dx = x + 0.5 - s.cx;
                    double dy = y + 0.5 - s.cy;
                    double rho = StrictMath.sqrt(dx * dx + dy * dy);
                    double cov = clamp(s.outer - rho + 0.5) * clamp(rho - s.inner + 0.5);
                    double shade = 0;
                    if (cov > 0) {
                        // cosines of the angles to the notch and to the light, without trigonometry per pixel
                        double inv = rho > 1e-9 ? 1 / rho : 0;
                        double toNotch = (dx * notchX + dy * notchY) * inv;
                        if (rho > s.outer - notchDepth && toNotch > notchCos) {
                            cov = 0;
                        }
                        double toLight = (dx * lightX + dy * lightY) * inv;
                        double ring = rho / 3.0 - StrictMath.floor(rho / 3.0);
                        shade = 0.80 + 0.15 * toLight * ((rho - s.inner) / (s.outer - s.inner))
                                + 0.025 * (8 * ring * (1 - ring) - 1) + 0.03 * low[i];
                    }
                    double bgShade = 1.0 + 0.05 * low[i];
                    s.coverage[i] = (float) cov;
                    for (int c = 0; c < 3; c++) {
                        float b = (float) (bg[c] * bgShade);
                        s.background[c * plane + i] = b;
                        s.rgb[c * plane + i] = (float) (b + cov * (metal[c] * shade - b));
                    }
                }
            }
            return s;
        }

        /** Draws one defect; returns its mask (non-empty). */
        boolean[] defect(String type, SplittableRandom rng) {
            for (int attempt = 0; attempt < 20; attempt++) {
                boolean[] region = switch (type) {
                    case "scratch" -> scratch(rng);
                    case "hole", "stain" -> blob(rng, type.equals("hole") ? 0.035 : 0.06, type.equals("hole") ? 0.05 : 0.085);
                    case "missing" -> object ? bite(rng) : blob(rng, 0.05, 0.075);
                    default -> throw new IllegalArgumentException("Unknown defect type: " + type);
                };
                if (object && !type.equals("missing")) {
                    for (int i = 0; i < region.length; i++) {
                        region[i] &= coverage[i] >= 0.999f;
                    }
                }
                if (count(region) >= Math.max(6, n * n / 2000)) {
                    paint(type, region, rng);
                    return region;
                }
            }
            throw new IllegalStateException("Could not place a " + type + " defect");
        }

        private boolean[] scratch(SplittableRandom rng) {
            double ax;
            double ay;
            double angle;
            double length;
            if (object) {
                double r = inner + (0.25 + 0.5 * rng.nextDouble()) * (outer - inner);
                double a = rng.nextDouble() * TWO_PI;
                ax = cx + r * StrictMath.cos(a);
                ay = cy + r * StrictMath.sin(a);
                angle = a + Math.PI / 2 + (rng.nextDouble() - 0.5) * 0.8;
                length = (0.15 + 0.10 * rng.nextDouble()) * n;
            } else {
                ax = (0.25 + 0.5 * rng.nextDouble()) * n;
                ay = (0.25 + 0.5 * rng.nextDouble()) * n;
                angle = rng.nextDouble() * Math.PI;
                length = (0.25 + 0.2 * rng.nextDouble()) * n;
            }
            double hx = 0.5 * length * StrictMath.cos(angle);
            double hy = 0.5 * length * StrictMath.sin(angle);
            double halfWidth = (0.7 + 0.5 * rng.nextDouble()) * n / 128.0;
            boolean[] m = new boolean[n * n];
            int x0 = bound(Math.min(ax - hx, ax + hx) - halfWidth - 1);
            int x1 = bound(Math.max(ax - hx, ax + hx) + halfWidth + 1);
            int y0 = bound(Math.min(ay - hy, ay + hy) - halfWidth - 1);
            int y1 = bound(Math.max(ay - hy, ay + hy) + halfWidth + 1);
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    m[y * n + x] = segmentDistance(x + 0.5, y + 0.5, ax - hx, ay - hy, ax + hx, ay + hy) <= halfWidth;
                }
            }
            return m;
        }

        private boolean[] blob(SplittableRandom rng, double minRadius, double maxRadius) {
            double r0 = (minRadius + (maxRadius - minRadius) * rng.nextDouble()) * n;
            double bx;
            double by;
            if (object) {
                double r = (inner + outer) / 2 + (rng.nextDouble() - 0.5) * 0.3 * (outer - inner);
                double a = rng.nextDouble() * TWO_PI;
                bx = cx + r * StrictMath.cos(a);
                by = cy + r * StrictMath.sin(a);
                r0 = Math.min(r0, 0.45 * (outer - inner));
            } else {
                bx = (0.2 + 0.6 * rng.nextDouble()) * n;
                by = (0.2 + 0.6 * rng.nextDouble()) * n;
            }
            double p1 = rng.nextDouble() * TWO_PI;
            double p2 = rng.nextDouble() * TWO_PI;
            double stretch = 0.7 + 0.6 * rng.nextDouble();
            double rot = rng.nextDouble() * Math.PI;
            double cr = StrictMath.cos(rot);
            double sr = StrictMath.sin(rot);
            boolean[] m = new boolean[n * n];
            double reach = r0 * 1.34 * Math.max(stretch, 1 / stretch) + 1;
            for (int y = bound(by - reach); y < bound(by + reach); y++) {
                for (int x = bound(bx - reach); x < bound(bx + reach); x++) {
                    double dx = x + 0.5 - bx;
                    double dy = y + 0.5 - by;
                    double u = (dx * cr + dy * sr) / stretch;
                    double v = (-dx * sr + dy * cr) * stretch;
                    double a = StrictMath.atan2(v, u);
                    double radius = r0 * (1 + 0.22 * StrictMath.sin(3 * a + p1) + 0.12 * StrictMath.sin(5 * a + p2));
                    m[y * n + x] = u * u + v * v <= radius * radius;
                }
            }
            return m;
        }

        /** A pixel coordinate clamped to [0, n]. */
        private int bound(double v) {
            return v < 0 ? 0 : (v > n ? n : (int) v);
        }

        private boolean[] bite(SplittableRandom rng) {
            double a;
            do {
                a = rng.nextDouble() * TWO_PI - Math.PI;
            } while (angleDiff(a, notchAngle) < 0.6);
            double radius = (0.07 + 0.04 * rng.nextDouble()) * n;
            double bx = cx + outer * StrictMath.cos(a);
            double by = cy + outer * StrictMath.sin(a);
            boolean[] m = new boolean[n * n];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double dx = x + 0.5 - bx;
                    double dy = y + 0.5 - by;
                    m[y * n + x] = dx * dx + dy * dy <= radius * radius;
                }
            }
            return m;
        }

        private void paint(String type, boolean[] region, SplittableRandom rng) {
            int plane = n * n;
            switch (type) {
                case "scratch" -> {
                    float delta = (float) ((rng.nextBoolean() ? 1 : -1) * (0.30 + 0.1 * rng.nextDouble()));
                    for (int i = 0; i < plane; i++) {
                        if (region[i]) {
                            for (int c = 0; c < 3; c++) {
                                rgb[c * plane + i] = clampF(rgb[c * plane + i] + delta);
                            }
                        }
                    }
                }
                case "hole" -> {
                    float dark = (float) (0.04 + 0.06 * rng.nextDouble());
                    for (int i = 0; i < plane; i++) {
                        if (region[i]) {
                            for (int c = 0; c < 3; c++) {
                                rgb[c * plane + i] = dark;
                            }
                        }
                    }
                }
                case "stain" -> {
                    float[] colour = object ? new float[] {0.55f, 0.27f, 0.08f} : new float[] {0.18f, 0.30f, 0.55f};
                    float alpha = (float) (0.55 + 0.2 * rng.nextDouble());
                    for (int i = 0; i < plane; i++) {
                        if (region[i]) {
                            for (int c = 0; c < 3; c++) {
                                int k = c * plane + i;
                                rgb[k] += alpha * (colour[c] - rgb[k]);
                            }
                        }
                    }
                }
                case "missing" -> {
                    for (int i = 0; i < plane; i++) {
                        boolean inRegion = region[i];
                        if (object) {
                            if (inRegion && coverage[i] > 0f) {
                                for (int c = 0; c < 3; c++) {
                                    rgb[c * plane + i] = background[c * plane + i];
                                }
                            }
                            region[i] = inRegion && coverage[i] >= 0.5f;
                        } else if (inRegion) {
                            for (int c = 0; c < 3; c++) {
                                rgb[c * plane + i] = background[c * plane + i];
                            }
                        }
                    }
                }
                default -> throw new IllegalArgumentException("Unknown defect type: " + type);
            }
        }

        /** Applies lighting (gain and gradient) and sensor noise. */
        ImageData finish(SplittableRandom rng) {
            int plane = n * n;
            double gain = 0.9 + 0.2 * rng.nextDouble();
            double gx = (rng.nextDouble() - 0.5) * 0.08;
            double gy = (rng.nextDouble() - 0.5) * 0.08;
            float[] out = new float[3 * plane];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int i = y * n + x;
                    double light = gx * (x / (double) n - 0.5) + gy * (y / (double) n - 0.5);
                    for (int c = 0; c < 3; c++) {
                        double noise = (rng.nextDouble() + rng.nextDouble() - 1.0) * 0.03;
                        out[c * plane + i] = clampF((float) (rgb[c * plane + i] * gain + light + noise));
                    }
                }
            }
            return new ImageData(3, n, n, out, "synthetic");
        }

        private static float[] smoothNoise(int n, int cells, SplittableRandom rng) {
            float[] grid = new float[(cells + 1) * (cells + 1)];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = (float) (rng.nextDouble() * 2 - 1);
            }
            float[] out = new float[n * n];
            double step = n / (double) cells;
            for (int y = 0; y < n; y++) {
                double gy = y / step;
                int y0 = (int) gy;
                double ty = smooth(gy - y0);
                for (int x = 0; x < n; x++) {
                    double gx = x / step;
                    int x0 = (int) gx;
                    double tx = smooth(gx - x0);
                    int r0 = y0 * (cells + 1);
                    int r1 = Math.min(y0 + 1, cells) * (cells + 1);
                    int x1 = Math.min(x0 + 1, cells);
                    double top = grid[r0 + x0] + tx * (grid[r0 + x1] - grid[r0 + x0]);
                    double bottom = grid[r1 + x0] + tx * (grid[r1 + x1] - grid[r1 + x0]);
                    out[y * n + x] = (float) (top + ty * (bottom - top));
                }
            }
            return out;
        }

        private static double smooth(double t) {
            return t * t * (3 - 2 * t);
        }

        private static double clamp(double v) {
            return v < 0 ? 0 : (v > 1 ? 1 : v);
        }

        private static float clampF(float v) {
            return v < 0f ? 0f : (v > 1f ? 1f : v);
        }

        private static double angleDiff(double a, double b) {
            double d = Math.abs(a - b) % TWO_PI;
            return d > Math.PI ? TWO_PI - d : d;
        }

        private static double segmentDistance(double px, double py, double ax, double ay, double bx, double by) {
            double vx = bx - ax;
            double vy = by - ay;
            double t = ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy);
            t = t < 0 ? 0 : (t > 1 ? 1 : t);
            double dx = px - (ax + t * vx);
            double dy = py - (ay + t * vy);
            return StrictMath.sqrt(dx * dx + dy * dy);
        }

        private static int count(boolean[] m) {
            int k = 0;
            for (boolean b : m) {
                if (b) {
                    k++;
                }
            }
            return k;
        }
    }

    /** Builds a {@link SyntheticDataset}. */
    public static final class Builder {
        private final Path root;
        private List<String> categories = CATEGORIES;
        private int imageSize = 128;
        private int trainCount = 40;
        private int testGoodCount = 10;
        private int anomalousPerDefect = 5;
        private long seed;
        private boolean overwrite;

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** @param categories some of {@link #CATEGORIES} (default: all) */
        public Builder categories(String... categories) {
            if (categories.length == 0) {
                throw new IllegalArgumentException("At least one category is needed; known: " + CATEGORIES);
            }
            for (String c : categories) {
                if (!CATEGORIES.contains(c)) {
                    throw new IllegalArgumentException("Unknown synthetic category '" + c + "'; known: " + CATEGORIES);
                }
            }
            this.categories = List.of(categories).stream().distinct().toList();
            return this;
        }

        /** @param size image side in pixels, at least 32 (default 128) */
        public Builder imageSize(int size) {
            if (size < 32 || size > 4096) {
                throw new IllegalArgumentException("imageSize must be in [32, 4096]: " + size);
            }
            this.imageSize = size;
            return this;
        }

        /** @param count training images per category, at least 1 (default 40) */
        public Builder trainCount(int count) {
            this.trainCount = positive(count, "trainCount", 1);
            return this;
        }

        /** @param count normal test images per category (default 10) */
        public Builder testGoodCount(int count) {
            this.testGoodCount = positive(count, "testGoodCount", 0);
            return this;
        }

        /** @param count anomalous test images per defect type and category (default 5) */
        public Builder anomalousPerDefect(int count) {
            this.anomalousPerDefect = positive(count, "anomalousPerDefect", 0);
            return this;
        }

        /** @param seed the seed (default 0) */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @param overwrite whether to delete and rewrite non-empty category folders (default false) */
        public Builder overwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /** @return the generator */
        public SyntheticDataset build() {
            return new SyntheticDataset(this);
        }

        private static int positive(int v, String what, int min) {
            if (v < min || v > 100_000) {
                throw new IllegalArgumentException(what + " must be in [" + min + ", 100000]: " + v);
            }
            return v;
        }
    }
}
