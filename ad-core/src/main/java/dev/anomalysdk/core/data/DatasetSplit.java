package dev.anomalysdk.core.data;

import java.util.List;

/**
 * One category of a dataset, split for anomaly detection.
 *
 * @param category the category name, e.g. {@code bottle}
 * @param train normal images to fit on
 * @param validation labelled images for calibration and model selection (may be empty); never test images
 * @param test labelled images for evaluation
 */
public record DatasetSplit(String category, List<Sample> train, List<Sample> validation, List<Sample> test) {
    /** Copies the lists and rejects an empty training set. */
    public DatasetSplit {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
        if (train.isEmpty()) {
            throw new IllegalArgumentException("Category '" + category + "' has no training images");
        }
    }
}
