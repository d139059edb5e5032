package dev.anomalysdk.core;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.data.Sample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * An anomaly detector: fitted on images of good parts, it scores new images.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (Detector d = Detectors.create("cnn_dictionary", Map.of("seed", "7"))) {
 *     d.fit(FitData.of(split.train(), split.validation()));
 *     AnomalyResult r = d.predict(ImageFiles.read(path));
 *     d.save(Path.of("model"));
 * }
 * try (Detector d = Detectors.load(Path.of("model"))) { ... }
 * }</pre>
 *
 * <p>Results carry a raw score and map in the method's units and, once the detector is calibrated (always,
 * after {@link #fit}), a normalized score with the threshold at 0.5, a label and a mask (see
 * {@link Calibration}). Detectors are created by {@link Detectors}; each implementation documents whether
 * {@link #predict} may be called from several threads.
 */
public interface Detector extends AutoCloseable {

    /** @return the registered name, e.g. {@code patchcore} */
    String name();

    /** @return the configuration the detector was created with */
    Config config();

    /** @return the pre-processing applied to every image before the model sees it */
    Preprocessing preprocessing();

    /**
     * Fits the detector on normal images, then calibrates its threshold and normalization on the
     * validation images (or on a held-out part of the training images when there are none).
     *
     * @param data training and validation images
     * @param progress receives progress of long steps
     */
    void fit(FitData data, ProgressListener progress);

    /** Fits with progress reported to the log. */
    default void fit(FitData data) {
        fit(data, ProgressListener.logging(name()));
    }

    /** @return whether {@link #fit} has run (or the detector was loaded) */
    boolean isFitted();

    /** @return the threshold and normalization statistics learned during fit */
    Calibration calibration();

    /**
     * Scores images.
     *
     * @param images images of any sizes and channel counts
     * @return one result per image, in order; each map has its image's resolution
     */
    List<AnomalyResult> predict(List<ImageData> images);

    /** Scores one image. */
    default AnomalyResult predict(ImageData image) {
        return predict(List.of(image)).get(0);
    }

    /**
     * Saves the fitted detector to a directory, atomically: the directory is replaced only once the new
     * model is completely written.
     */
    void save(Path directory) throws IOException;

    /** Releases native memory held by the detector. */
    @Override
    void close();

    /**
     * Normal training images and optional labelled validation images.
     *
     * @param train normal images to fit on (not empty)
     * @param validation labelled images for calibration and model selection; may be empty; never test images
     */
    record FitData(List<Sample> train, List<Sample> validation) {
        /** Copies the lists and rejects an empty training set. */
        public FitData {
            train = List.copyOf(train);
            validation = List.copyOf(validation);
            if (train.isEmpty()) {
                throw new IllegalArgumentException("No training images: a detector needs at least one normal image");
            }
            for (Sample s : train) {
                if (s.anomalous()) {
                    throw new IllegalArgumentException("Training image " + s + " is labelled anomalous; "
                            + "fit on normal images only");
                }
            }
        }

        /** @return fit data with the given training and validation samples */
        public static FitData of(List<Sample> train, List<Sample> validation) {
            return new FitData(train, validation);
        }
    }
}
