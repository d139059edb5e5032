package dev.anomalysdk.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.ImageData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Reads the shared DeepPCB copy (MVTec layout) when it is present; skipped otherwise. */
class DeepPcbTest {
    @Test
    void mvtecReaderReadsDeepPcb() throws IOException {
        Path root = Path.of(System.getProperty("shared.dir", "../shared"), "data", "deeppcb");
        Assumptions.assumeTrue(Files.isDirectory(root.resolve("pcb")), "DeepPCB not present at " + root);
        DatasetReader reader = DatasetReaders.detect(root);
        assertEquals("mvtec", reader.name());
        assertTrue(reader.categories(root).contains("pcb"));
        DatasetSplit s = reader.read(root, "pcb");
        assertFalse(s.train().isEmpty());
        assertTrue(s.test().stream().anyMatch(Sample::anomalous));
        assertTrue(s.test().stream().anyMatch(x -> !x.anomalous()));
        for (Sample x : s.test()) {
            if (x.anomalous()) {
                assertTrue(x.hasMask(), x + " has a mask");
                Path image = x.imagePath().orElseThrow();
                assertEquals(ImageFiles.size(image), ImageFiles.size(x.maskPath().orElseThrow()), x.toString());
            }
        }
        Sample first = s.test().stream().filter(Sample::anomalous).findFirst().orElseThrow();
        ImageData img = first.loadImage();
        assertTrue(first.loadMask(img.height(), img.width()).count() > 0);
        assertTrue(s.train().get(0).loadImage().width() > 0);
    }
}
