package dev.anomalysdk.core.metrics;

import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.Mask;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accumulates the results of a detector on a whole test set and computes image- and pixel-level
 * metrics. Independent of the detector: it only sees scores, labels, maps and masks.
 *
 * <p>Pixel metrics cover every image that came with an anomaly map: normal images contribute all
 * their pixels as normal (their mask may be null), anomalous images contribute their mask. An
 * anomalous image with a map but no mask cannot be scored per pixel and is left out of the pixel
 * metrics (a warning is logged). Memory is that of {@link PixelMetrics} (8 bytes per pixel) plus a
 * few bytes per image; maps are not retained. Not thread-safe.
 */
public final class Evaluation {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);

    private final PixelMetrics pixels = new PixelMetrics();
    private final Set<String> ids = new HashSet<>();
    private float[] scores = new float[64];
    private boolean[] labels = new boolean[64];
    private int images;
    private int anomalous;
    private int anomalousWithMask;
    private int withoutMap;
    private int anomalousWithoutMask;

    /** Creates an empty evaluation. */
    public Evaluation() {
    }

    /**
     * Adds one test image.
     *
     * @param id unique image identifier (e.g. its path), used in error messages
     * @param imageScore the image-level anomaly score, finite
     * @param anomalous the image's ground-truth label
     * @param map the image's anomaly map, or null when the detector produces none
     * @param truth the ground-truth defect mask (same size as {@code map}), or null (= no defect
     *     pixels; required for anomalous images to count in the pixel metrics)
     * @throws IllegalArgumentException if {@code id} is null or already added, the score is not
     *     finite, the map and mask sizes differ, or a normal image's mask marks defect pixels
     */
    public void add(String id, float imageScore, boolean anomalous, AnomalyMap map, Mask truth) {
        if (id == null) {
            throw new IllegalArgumentException("Image id must not be null");
        }
        if (ids.contains(id)) {
            throw new IllegalArgumentException("Image " + id + " was already added");
        }
        if (!Float.isFinite(imageScore)) {
            throw new IllegalArgumentException("Image " + id + " has a non-finite score: " + imageScore);
        }
        if (map != null && truth != null
                && (map.height() != truth.height() || map.width() != truth.width())) {
            throw new IllegalArgumentException("Image " + id + ": anomaly map is " + map.width() + "x"
                    + map.height() + " but the ground-truth mask is " + truth.width() + "x"
                    + truth.height());
        }
        if (!anomalous && truth != null) {
            int defects = truth.count();
            if (defects > 0) {
                throw new IllegalArgumentException("Image " + id + " is labelled normal but its mask marks "
                        + defects + " defect pixels");
            }
        }
        if (map == null) {
            withoutMap++;
        } else if (anomalous && truth == null) {
            anomalousWithoutMask++;
        } else {
            pixels.add(map, truth);
            if (anomalous) {
                anomalousWithMask++;
            }
        }
        if (images == scores.length) {
            scores = Arrays.copyOf(scores, images * 2);
            labels = Arrays.copyOf(labels, images * 2);
        }
        scores[images] = imageScore;
        labels[images] = anomalous;
        images++;
        ids.add(id);
        if (anomalous) {
            this.anomalous++;
        }
    }

    /**
     * The image-level ROC curve of the images added so far (every point).
     *
     * @throws IllegalArgumentException unless there are normal and anomalous images
     */
    public Curve imageRocCurve() {
        if (images == 0) {
            throw new IllegalArgumentException("No images: nothing was added to the evaluation");
        }
        return BinaryMetrics.rocCurve(Arrays.copyOf(scores, images), Arrays.copyOf(labels, images));
    }

    /**
     * The pixel-level ROC curve over the images that count in the pixel metrics; see
     * {@link PixelMetrics#rocCurve(int)}.
     *
     * @throws IllegalArgumentException without both defect and normal pixels
     */
    public Curve pixelRocCurve(int maxPoints) {
        return pixels.rocCurve(maxPoints);
    }

    /**
     * The PRO curve up to the customary FPR limit 0.3 over the images that count in the pixel metrics;
     * see {@link PixelMetrics#proCurve(double, int)}.
     *
     * @throws IllegalArgumentException without defect regions and normal pixels
     */
    public Curve proCurve(int maxPoints) {
        return pixels.proCurve(PixelMetrics.DEFAULT_FPR_LIMIT, maxPoints);
    }

    /** @return number of images added so far */
    public int imageCount() {
        return images;
    }

    /**
     * Computes all metrics.
     *
     * @return the report; pixel fields are null when no anomalous image had both a map and a mask
     * @throws IllegalArgumentException if the images do not include both normal and anomalous ones
     */
    public MetricsReport report() {
        if (images == 0) {
            throw new IllegalArgumentException("No images: nothing was added to the evaluation");
        }
        BinaryMetrics.requireBothClasses(anomalous, images - anomalous, "images");
        float[] s = Arrays.copyOf(scores, images);
        boolean[] l = Arrays.copyOf(labels, images);
        double imageAuroc = BinaryMetrics.auroc(s, l);
        double imageAp = BinaryMetrics.averagePrecision(s, l);
        F1Max imageF1 = BinaryMetrics.f1Max(s, l);
        if (anomalousWithMask == 0 || pixels.anomalousPixelCount() == 0) {
            LOG.debug("No anomalous image with a map and a non-empty mask: pixel metrics skipped");
            return new MetricsReport(images, anomalous, imageAuroc, imageAp, imageF1, null, null, null, null);
        }
        if (withoutMap > 0 || anomalousWithoutMask > 0) {
            LOG.warn("Pixel metrics leave out {} image(s) without an anomaly map and {} anomalous "
                    + "image(s) without a mask", withoutMap, anomalousWithoutMask);
        }
        return new MetricsReport(images, anomalous, imageAuroc, imageAp, imageF1, pixels.auroc(),
                pixels.aupro(), pixels.f1Max(), pixels.averagePrecision());
    }
}
