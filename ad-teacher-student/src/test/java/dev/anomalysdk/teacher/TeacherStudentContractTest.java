package dev.anomalysdk.teacher;

import dev.anomalysdk.core.testing.DetectorContract;

/** The detector contract for every detector this module registers. */
class TeacherStudentContractTest extends DetectorContract {
    @Override
    protected String detectorPackage() {
        return "dev.anomalysdk.teacher";
    }
}
