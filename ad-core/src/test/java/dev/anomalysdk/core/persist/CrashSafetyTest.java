package dev.anomalysdk.core.persist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anomalysdk.core.Detector;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.ImageData;
import dev.anomalysdk.core.data.Sample;
import dev.anomalysdk.core.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving survives the faults of a long-running cell: a process killed (SIGKILL) in the middle of a save, and
 * a disk that fills up. After either, the model directory holds the previous model or the new one, complete
 * (every file matches its checksum) and loadable.
 */
class CrashSafetyTest {
    /** The two models the saving child alternates between: training value and input size. */
    private static final float OLD_VALUE = 0.2f;
    private static final int OLD_SIZE = 32;
    private static final float NEW_VALUE = 0.7f;
    private static final int NEW_SIZE = 96;

    @TempDir
    Path tmp;

    /** A mean-image detector fitted on constant images: its mean (hence its score on black) is {@code value}. */
    static Detector fitted(float value, int imageSize) {
        Detector d = Detectors.create("mean_image", Map.of("image_size", Integer.toString(imageSize)));
        List<Sample> train = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float[] px = new float[imageSize * imageSize];
            Arrays.fill(px, value);
            train.add(Sample.ofImage("t" + i, new ImageData(1, imageSize, imageSize, px, "const"), false, null));
        }
        d.fit(Detector.FitData.of(train, List.of(train.get(0))));
        return d;
    }

    /**
     * Run in a child JVM: fits both models, prints {@code FITTED} and waits for a line on standard input (so
     * that the next child can start up while the previous one is being killed); then saves the old model
     * once, prints {@code READY}, and saves the new and the old model in turn until killed, printing
     * {@code SAVED <n>} after each.
     */
    public static final class SaveLoop {
        public static void main(String[] args) throws IOException {
            Path model = Path.of(args[0]);
            try (Detector oldModel = fitted(OLD_VALUE, OLD_SIZE); Detector newModel = fitted(NEW_VALUE, NEW_SIZE)) {
                System.out.println("FITTED");
                if (new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine() == null) {
                    return;
                }
                oldModel.save(model);
                System.out.println("READY");
                for (long n = 1; ; n++) {
                    (n % 2 == 1 ? newModel : oldModel).save(model);
                    System.out.println("SAVED " + n);
                }
            }
        }
    }

    /**
     * Which of the two models {@code model} holds, after checking every file against the manifest and
     * loading it as a detector whose score on a black image must be its training value.
     */
    private static float loadedValue(Path model) throws IOException {
        ModelReader reader = ModelReader.open(model);
        float[] mean = reader.tensor("mean").data();
        float value = mean[0];
        int size = value == OLD_VALUE ? OLD_SIZE : NEW_SIZE;
        assertTrue(value == OLD_VALUE || value == NEW_VALUE, "neither model: mean " + value);
        assertEquals(size * size, mean.length, "mean of the wrong size for its value: a mix of two saves");
        for (float v : mean) {
            assertEquals(value, v, "a mix of two saves");
        }
        try (Detector d = Detectors.load(model)) {
            assertEquals(Integer.toString(size), d.config().asStrings().get("image_size"));
            assertEquals(value, d.predict(new ImageData(1, 8, 8, new float[64], "black")).score(), 1e-6f);
        }
        return value;
    }

    private ChildJvm startSaveLoop(Path model, int round) throws IOException {
        return ChildJvm.start(SaveLoop.class, List.of("-Xmx256m"), tmp.resolve("stderr-" + round), model.toString());
    }

    @Test
    void aSaveKilledAtARandomMomentLeavesTheOldOrTheNewModel() throws Exception {
        Path model = tmp.resolve("models").resolve("m");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int rounds = 4;
        List<String> outcomes = new ArrayList<>();
        List<ChildJvm> children = new ArrayList<>();
        try {
            children.add(startSaveLoop(model, 0));
            for (int round = 0; round < rounds; round++) {
                ChildJvm child = children.get(round);
                if (round + 1 < rounds) {
                    children.add(startSaveLoop(model, round + 1)); // starts up while this one saves
                }
                assertEquals("FITTED", child.nextLine(), child.stderr());
                child.send("GO");
                assertEquals("READY", child.nextLine(), child.stderr());
                // a save takes 5-50 ms here (mostly fsync); up to 200 ms covers every phase of several saves
                Thread.sleep(random.nextInt(200));
                child.kill();
                int saves = child.remainingLines().size();
                String where = "round " + round + " (seed " + seed + ")";
                boolean betweenRenames = !Files.exists(model);
                float value;
                try {
                    value = loadedValue(model);
                } catch (IOException | AssertionError e) {
                    throw new AssertionError(where + ": model not intact: " + e.getMessage(), e);
                }
                outcomes.add((value == OLD_VALUE ? "old" : "new") + " after " + saves + " saves"
                        + (betweenRenames ? " (killed between the renames)" : ""));
            }
        } finally {
            children.forEach(ChildJvm::close);
        }
        // The next save in this process puts back a model left aside and removes the dead children's leftovers.
        try (Detector d = fitted(OLD_VALUE, OLD_SIZE)) {
            d.save(model);
        }
        assertEquals(OLD_VALUE, loadedValue(model));
        try (Stream<Path> siblings = Files.list(model.getParent())) {
            assertEquals(List.of(model), siblings.toList(), "leftovers of killed saves (outcomes " + outcomes + ")");
        }
        System.out.println("Killed save loops left: " + outcomes + " (seed " + seed + ")");
    }

    @Test
    void aSaveKilledBetweenItsTwoRenamesIsRecovered() throws IOException {
        Path model = tmp.resolve("m");
        try (Detector d = fitted(OLD_VALUE, OLD_SIZE)) {
            d.save(model);
        }
        // The state a kill between "old model aside" and "new model in" leaves: no model directory, the old
        // model under its backup name, and the complete new one in a dead process's staging directory.
        Path backup = tmp.resolve(".m" + ModelFormat.BACKUP_INFIX + "1234");
        Files.move(model, backup);
        Path staging = tmp.resolve(".m" + ModelFormat.STAGING_INFIX + deadPid() + "-5678");
        try (Detector d = fitted(NEW_VALUE, NEW_SIZE)) {
            d.save(staging);
        }
        assertFalse(Files.exists(model));

        assertEquals(OLD_VALUE, loadedValue(model), "a reader falls back to the model left aside");
        assertFalse(Files.exists(model), "reading changes nothing");

        try (ModelWriter w = new ModelWriter(model)) {
            assertEquals(OLD_VALUE, loadedValue(model), "the next save puts the old model back first");
            assertFalse(Files.exists(backup));
            assertFalse(Files.exists(staging), "a dead process's staging directory is removed");
            // no commit: this save fails, and the old model must still be there
        }
        assertEquals(OLD_VALUE, loadedValue(model));
    }

    /** @return the id of a process that has ended */
    private static long deadPid() throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return p.pid();
    }

    @Test
    void aFullDiskLeavesTheOldModelAndAClearError() throws Exception {
        Path disk = Files.createDirectories(tmp.resolve("small-disk"));
        assumeTrue(mount(disk, "512k"), "skipped: cannot mount a 512 KiB tmpfs at " + disk
                + " (needs Linux, root and CAP_SYS_ADMIN)");
        try {
            Path model = disk.resolve("m");
            try (Detector d = fitted(OLD_VALUE, OLD_SIZE)) {
                d.save(model);
            }
            try (Detector big = fitted(NEW_VALUE, 512)) { // a 1 MiB mean tensor does not fit
                IOException e = assertThrows(IOException.class, () -> big.save(model));
                String msg = e.getMessage();
                assertTrue(msg.contains(model.toString()) && msg.contains("No space left on device")
                        && msg.contains("mean.npy"), msg);
            }
            assertEquals(OLD_VALUE, loadedValue(model));
            try (Stream<Path> files = Files.list(disk)) {
                assertEquals(List.of(model), files.toList(), "the failed save's staging directory is removed");
            }
            try (Detector d = fitted(NEW_VALUE, NEW_SIZE)) { // 36 KiB: fits once the failed save is cleaned up
                d.save(model);
            }
            assertEquals(NEW_VALUE, loadedValue(model));
        } finally {
            run("umount", disk.toString());
        }
    }

    private static boolean mount(Path dir, String size) {
        return System.getProperty("os.name").startsWith("Linux")
                && run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    }

    private static boolean run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
