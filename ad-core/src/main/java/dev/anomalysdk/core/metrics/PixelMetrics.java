package dev.anomalysdk.core.metrics;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import java.util.Arrays;

/**
 * Streaming accumulator for exact pixel-level metrics over many images: pixel AUROC, AUPRO,
 * F1-max and average precision. Every distinct score is a threshold (tied scores form one step);
 * nothing is binned.
 *
 * <p><b>Memory.</b> Each pixel is stored as one packed {@code long} (order-preserving float bits of
 * its score + its defect-region id, 0 = normal) in growable chunks of at most 32 MiB: <b>8 bytes per
 * pixel</b>, plus 4 bytes per defect region and at most one partly filled chunk. A full MVTec AD
 * category (~100 M pixels) therefore needs ~0.8 GB. No {@link AnomalyMap} is retained.
 * {@link #add} additionally needs two temporary {@code int} arrays of the image's size while it
 * labels the image's defect regions.
 *
 * <p><b>Time.</b> The chunks are sorted (radix sort, with one temporary 32 MiB buffer) when a
 * metric is first requested; the sorted state is kept until the next {@link #add}. AUROC, average
 * precision and F1-max are then computed together in one pass over the sorted pixels (a k-way
 * merge of the chunks, O(N log(chunks))) and cached; each {@link #aupro(double)} call is one pass
 * that stops at the FPR limit. For ~100 M pixels expect seconds, not minutes.
 *
 * <p>Defect regions for AUPRO are the 8-connected components of each image's mask, computed per
 * image (regions never span images). Not thread-safe.
 */
public final class PixelMetrics {
    /** The customary FPR limit of AUPRO (MVTec AD). */
    public static final double DEFAULT_FPR_LIMIT = 0.3;

    private final SortedScores keys;
    private int[] regionSizes = new int[16];
    private int regions;
    private long anomalousPixels;
    private long normalPixels;
    /** AUROC, AP and F1-max of the current pixels, computed together; null after {@link #add}. */
    private Curves.Summary summary;

    /** Creates an empty accumulator. */
    public PixelMetrics() {
        this(SortedScores.MAX_CHUNK);
    }

    /** Creates an empty accumulator with small storage chunks (tests of the chunk merging). */
    PixelMetrics(int chunkSize) {
        keys = new SortedScores(chunkSize);
    }

    /**
     * Adds one image's pixels.
     *
     * @param map the image's anomaly map (higher = more anomalous)
     * @param truth the ground-truth defect mask of the same size, or null when the image has no
     *     defect (every pixel normal)
     * @throws IllegalArgumentException if {@code map} is null or the sizes differ
     */
    public void add(AnomalyMap map, Mask truth) {
        if (map == null) {
            throw new IllegalArgumentException("Anomaly map must not be null");
        }
        int height = map.height();
        int width = map.width();
        if (truth != null && (truth.height() != height || truth.width() != width)) {
            throw new IllegalArgumentException("Anomaly map is " + width + "x" + height
                    + " but the ground-truth mask is " + truth.width() + "x" + truth.height());
        }
        float[] values = map.valuesView();
        int[] labels = null;
        int[] sizes = new int[0];
        if (truth != null) {
            labels = new int[values.length];
            sizes = Regions.label(truth.pixels(), height, width, labels);
            if ((long) regions + sizes.length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("Too many defect regions: " + regions + " + "
                        + sizes.length);
            }
        }
        int base = regions;
        long defects = 0;
        for (int i = 0; i < values.length; i++) {
            int label = labels == null ? 0 : labels[i];
            if (label != 0) {
                defects++;
                label += base;
            }
            keys.add(SortedScores.key(values[i], label));
        }
        if (base + sizes.length > regionSizes.length) {
            regionSizes = Arrays.copyOf(regionSizes,
                    Math.max(base + sizes.length, (int) Math.min(Integer.MAX_VALUE - 8L, 2L * regionSizes.length)));
        }
        System.arraycopy(sizes, 0, regionSizes, base, sizes.length);
        regions = base + sizes.length;
        summary = null;
        anomalousPixels += defects;
        normalPixels += values.length - defects;
    }

    /** @return number of pixels added so far */
    public long pixelCount() {
        return keys.size();
    }

    /** @return number of defect pixels added so far */
    public long anomalousPixelCount() {
        return anomalousPixels;
    }

    /** @return number of defect regions (8-connected components, per image) added so far */
    public int regionCount() {
        return regions;
    }

    /**
     * Pixel-level AUROC (ties count 1/2).
     *
     * @return the area under the pixel ROC curve
     * @throws IllegalArgumentException if there are no defect pixels or no normal pixels
     */
    public double auroc() {
        return summary().auroc();
    }

    /**
     * Pixel-level step-wise average precision (see {@link BinaryMetrics#averagePrecision}).
     *
     * @return the pixel average precision
     * @throws IllegalArgumentException if there are no defect pixels or no normal pixels
     */
    public double averagePrecision() {
        return summary().averagePrecision();
    }

    /**
     * Best pixel-level F1 over all thresholds (a pixel is anomalous when its score is at or above
     * the threshold; among equal F1 values the highest threshold is returned).
     *
     * @return the best F1 with its threshold, precision and recall
     * @throws IllegalArgumentException if there are no defect pixels or no normal pixels
     */
    public F1Max f1Max() {
        return summary().f1Max();
    }

    /**
     * AUPRO with the customary FPR limit 0.3; see {@link #aupro(double)}.
     *
     * @return the normalized area under the PRO curve up to FPR 0.3
     * @throws IllegalArgumentException if there is no defect region or no normal pixel
     */
    public double aupro() {
        return aupro(DEFAULT_FPR_LIMIT);
    }

    /**
     * Area under the per-region-overlap (PRO) curve as defined for MVTec AD (Bergmann et al.),
     * normalized so that a perfect detector scores 1.
     *
     * <p>For a threshold t, PRO(t) is the mean over all defect regions of the fraction of the
     * region's pixels with score &ge; t, and FPR(t) is the fraction of all normal pixels (of all
     * images) with score &ge; t. Every distinct score is a threshold; the curve starts at (0, 0), is
     * integrated with the trapezoid rule from FPR 0 to {@code fprLimit} (interpolating linearly at
     * exactly {@code fprLimit}) and divided by {@code fprLimit}.
     *
     * @param fprLimit upper end of the integration, in (0, 1]
     * @return the normalized AUPRO in [0, 1]
     * @throws IllegalArgumentException if {@code fprLimit} is out of range, or there is no defect
     *     region or no normal pixel
     */
    public double aupro(double fprLimit) {
        if (!(fprLimit > 0 && fprLimit <= 1)) {
            throw new IllegalArgumentException("FPR limit must be in (0, 1], got " + fprLimit);
        }
        requireBothClasses();
        return Curves.aupro(keys, regionSizes, regions, normalPixels, fprLimit);
    }

    /**
     * The pixel ROC curve (x = false-positive rate, y = true-positive rate) from (0, 0) to (1, 1),
     * for plotting. Points closer than {@code 2 / maxPoints} (L1) to the previous kept point are
     * dropped, so at most about {@code maxPoints} points remain.
     *
     * @param maxPoints about how many points to keep, at least 2
     * @return the thinned curve
     * @throws IllegalArgumentException if {@code maxPoints < 2}, or there are no defect pixels or no
     *     normal pixels
     */
    public Curve rocCurve(int maxPoints) {
        requireMaxPoints(maxPoints);
        requireBothClasses();
        return Curves.roc(keys, anomalousPixels, normalPixels, maxPoints);
    }

    /**
     * The PRO curve integrated by {@link #aupro(double)}: x = false-positive rate of normal pixels from 0
     * to {@code fprLimit} (the last point interpolated at exactly the limit), y = mean per-region
     * overlap. Points closer than {@code (fprLimit + 1) / maxPoints} (L1) to the previous kept point are
     * dropped. With all points kept, {@code curve.area() / fprLimit} equals {@code aupro(fprLimit)}.
     *
     * @param fprLimit upper end of the curve, in (0, 1]
     * @param maxPoints about how many points to keep, at least 2
     * @return the thinned curve
     * @throws IllegalArgumentException if an argument is out of range, or there is no defect region or
     *     no normal pixel
     */
    public Curve proCurve(double fprLimit, int maxPoints) {
        if (!(fprLimit > 0 && fprLimit <= 1)) {
            throw new IllegalArgumentException("FPR limit must be in (0, 1], got " + fprLimit);
        }
        requireMaxPoints(maxPoints);
        requireBothClasses();
        return Curves.pro(keys, regionSizes, regions, normalPixels, fprLimit, maxPoints);
    }

    private static void requireMaxPoints(int maxPoints) {
        if (maxPoints < 2) {
            throw new IllegalArgumentException("A curve needs at least 2 points, got maxPoints=" + maxPoints);
        }
    }

    private Curves.Summary summary() {
        requireBothClasses();
        if (summary == null) {
            summary = Curves.summary(keys, anomalousPixels, normalPixels);
        }
        return summary;
    }

    private void requireBothClasses() {
        if (keys.size() == 0) {
            throw new IllegalArgumentException("No pixels: no anomaly map was added");
        }
        BinaryMetrics.requireBothClasses(anomalousPixels, normalPixels, "pixels");
    }
}
