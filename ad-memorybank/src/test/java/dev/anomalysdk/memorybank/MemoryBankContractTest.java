package dev.anomalysdk.memorybank;

import dev.anomalysdk.core.testing.DetectorContract;

/** The detector contract for every detector this module registers. */
class MemoryBankContractTest extends DetectorContract {
    @Override
    protected String detectorPackage() {
        return "dev.anomalysdk.memorybank";
    }
}
