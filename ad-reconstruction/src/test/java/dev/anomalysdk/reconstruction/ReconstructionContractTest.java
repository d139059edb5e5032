package dev.anomalysdk.reconstruction;

import dev.anomalysdk.core.testing.DetectorContract;

/** The detector contract for every detector this module registers. */
class ReconstructionContractTest extends DetectorContract {
    @Override
    protected String detectorPackage() {
        return "dev.anomalysdk.reconstruction";
    }
}
