package dev.anomalysdk.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.training.TrainingControl;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every detector that trains with the shared loop takes the early-stopping and checkpoint keys. */
class TrainingControlKeysTest {

    @Test
    void trainingDetectorsAcceptPatienceAndCheckpoints(@TempDir Path dir) {
        for (String name : List.of("nsa", "draem", "dsr", "autoencoder", "memae", "reverse_distillation", "stfpm", "mkd")) {
            try (Detector d = Detectors.create(name, Map.of("patience", "3", "checkpoint_dir", dir.toString(),
                    "checkpoint_every", "2"))) {
                assertEquals(new TrainingControl(3, dir, 2), TrainingControl.from(d.config()), name);
            }
        }
    }
}
