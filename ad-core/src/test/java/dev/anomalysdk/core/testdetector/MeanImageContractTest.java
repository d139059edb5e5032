package dev.anomalysdk.core.testdetector;

import dev.anomalysdk.core.testing.DetectorContract;

/**
 * The detector contract for ad-core's own detectors: the test-only one and the custom-detector example of the
 * docs, both plugged in as a user's detector would be.
 */
class MeanImageContractTest extends DetectorContract {
    @Override
    protected String detectorPackage() {
        return "dev.anomalysdk.core";
    }
}
