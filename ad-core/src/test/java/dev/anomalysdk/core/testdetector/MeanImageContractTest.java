package dev.anomalysdk.core.testdetector;

import dev.anomalysdk.core.testing.DetectorContract;

/** The detector contract for the test-only detector, which is plugged in as a user's detector would be. */
class MeanImageContractTest extends DetectorContract {
    @Override
    protected String detectorPackage() {
        return "dev.anomalysdk.core.testdetector";
    }
}
