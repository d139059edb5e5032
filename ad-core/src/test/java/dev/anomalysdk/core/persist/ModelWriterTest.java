package dev.anomalysdk.core.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWriterTest {
    @TempDir
    Path tmp;

    private Path writeModel(Path dir, float value) throws IOException {
        try (ModelWriter w = new ModelWriter(dir)) {
            w.manifest().put("detector", "test");
            w.putTensor("weights", new float[] {value, 2, 3, 4, 5, 6}, 2, 3);
            w.putBytes("blob.bin", "hello".getBytes(StandardCharsets.UTF_8));
            w.commit();
        }
        return dir;
    }

    @Test
    void writtenTensorsReadBackExactly() throws IOException {
        ModelReader r = ModelReader.open(writeModel(tmp.resolve("m"), 1));
        Npy.Array a = r.tensor("weights");
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.data());
        assertEquals("hello", new String(r.bytes("blob.bin"), StandardCharsets.UTF_8));
        assertEquals("test", r.manifest().path("detector").asText());
    }

    @Test
    void npyHeaderIsWhatNumpyWrites() {
        byte[] b = Npy.toBytes(new float[] {1, 2, 3}, 3);
        String header = new String(b, 10, b.length - 10 - 12, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
        assertEquals(0, (10 + header.length()) % 64, "numpy aligns the data to 64 bytes");
    }

    @Test
    void aFailedSaveLeavesThePreviousModelIntact() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        try (ModelWriter w = new ModelWriter(dir)) {
            w.putTensor("weights", new float[] {9}, 1);
            assertThrows(IllegalArgumentException.class, () -> w.putBytes("../escape", new byte[1]));
            // no commit: the writer is closed as if the save had failed half-way
        }
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, ModelReader.open(dir).tensor("weights").data());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no staging directory left behind");
        }
    }

    @Test
    void aCommittedSaveReplacesTheModel() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        writeModel(dir, 7);
        assertEquals(7f, ModelReader.open(dir).tensor("weights").data()[0]);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aTamperedFileIsDetected() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        Files.write(dir.resolve("files/blob.bin"), "HELLO".getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> ModelReader.open(dir).bytes("blob.bin"));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aNewerFormatVersionIsRefusedWithAClearMessage() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        Path manifest = dir.resolve(ModelFormat.MANIFEST);
        String json = Files.readString(manifest).replace("\"format_version\" : 1", "\"format_version\" : 99");
        Files.writeString(manifest, json);
        IOException e = assertThrows(IOException.class, () -> ModelReader.open(dir));
        assertTrue(e.getMessage().contains("version 99") && e.getMessage().contains("upgrade"), e.getMessage());
    }

    @Test
    void directoriesThatAreNotModelsAreRejected() throws IOException {
        assertThrows(IOException.class, () -> ModelReader.open(tmp.resolve("missing")));
        Files.createDirectories(tmp.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> ModelReader.open(tmp.resolve("empty")));
        assertTrue(e.getMessage().contains("manifest.json"));
        Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(tmp.resolve("bad/manifest.json"), "{not json");
        assertThrows(IOException.class, () -> ModelReader.open(tmp.resolve("bad")));
    }

    @Test
    void truncatedOrHostileNpyIsRejected() {
        byte[] ok = Npy.toBytes(new float[] {1, 2, 3, 4}, 4);
        byte[] cut = java.util.Arrays.copyOf(ok, ok.length - 3);
        assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(cut), "cut.npy", 100));
        assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(ok), "big.npy", 2));
        byte[] text = "not numpy at all".getBytes(StandardCharsets.US_ASCII);
        assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(text), "t.npy", 100));
    }

    @Test
    void savingOverAFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(IOException.class, () -> new ModelWriter(file));
        assertFalse(Files.isDirectory(file));
    }

    /** Renames the manifest's entry of {@code blob.bin}, as a hand-edited or forged manifest would. */
    private static void renameInManifest(Path dir, String newName) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path manifest = dir.resolve(ModelFormat.MANIFEST);
        ObjectNode root = (ObjectNode) json.readTree(manifest.toFile());
        ObjectNode files = (ObjectNode) root.get("files");
        files.set(newName, files.remove("blob.bin"));
        json.writeValue(manifest.toFile(), root);
    }

    @Test
    void manifestNamesLeavingTheDirectoryAreRefusedWithTheReason() throws IOException {
        Map<String, String> reasons = Map.of("../../outside.bin", "'..'", "/etc/passwd", "absolute path",
                "C:\\Windows\\x.dll", "absolute path", "sub/blob.bin", "path separator",
                ".hidden", "not starting with '.'");
        for (Map.Entry<String, String> bad : reasons.entrySet()) {
            Path dir = writeModel(tmp.resolve("m" + Math.abs(bad.getKey().hashCode())), 1);
            renameInManifest(dir, bad.getKey());
            IOException e = assertThrows(IOException.class, () -> ModelReader.open(dir), bad.getKey());
            assertTrue(e.getMessage().contains("'" + bad.getKey() + "'") && e.getMessage().contains(bad.getValue())
                    && e.getMessage().contains(dir.toString()), e.getMessage());
        }
    }

    @Test
    void aSymbolicLinkLeadingOutsideTheModelIsRefusedEvenWithTheRightContent() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        Path outside = Files.writeString(tmp.resolve("outside.bin"), "hello"); // same bytes: checksum would pass
        Path blob = dir.resolve("files/blob.bin");
        Files.delete(blob);
        Files.createSymbolicLink(blob, outside);
        IOException e = assertThrows(IOException.class, () -> ModelReader.open(dir).bytes("blob.bin"));
        assertTrue(e.getMessage().contains(blob.toString()) && e.getMessage().contains("symbolic link leading outside"),
                e.getMessage());

        Path manifest = dir.resolve(ModelFormat.MANIFEST);
        Path outsideManifest = Files.move(manifest, tmp.resolve("manifest-elsewhere.json"));
        Files.createSymbolicLink(manifest, outsideManifest);
        e = assertThrows(IOException.class, () -> ModelReader.open(dir));
        assertTrue(e.getMessage().contains("symbolic link leading outside"), e.getMessage());
    }

    @Test
    void linksThatStayInsideAndModelsReachedThroughALinkLoad() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        Path kept = Files.move(dir.resolve("files/blob.bin"), dir.resolve("blob-original.bin"));
        Files.createSymbolicLink(dir.resolve("files/blob.bin"), Path.of("../blob-original.bin"));
        Path link = Files.createSymbolicLink(tmp.resolve("current"), dir);
        ModelReader r = ModelReader.open(link);
        assertEquals("hello", new String(r.bytes("blob.bin"), StandardCharsets.UTF_8));
        assertEquals(1f, r.tensor("weights").data()[0]);
        assertTrue(Files.exists(kept));
    }

    @Test
    void aFileOfTheWrongSizeIsRefusedBeforeItIsRead() throws IOException {
        Path dir = writeModel(tmp.resolve("m"), 1);
        Path blob = dir.resolve("files/blob.bin");
        // 3 GiB, sparse: reading it whole would need a larger array than Java allows
        try (RandomAccessFile f = new RandomAccessFile(blob.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        IOException e = assertThrows(IOException.class, () -> ModelReader.open(dir).bytes("blob.bin"));
        assertTrue(e.getMessage().contains(blob.toString()) && e.getMessage().contains("3221225472 bytes")
                && e.getMessage().contains("records 5") && e.getMessage().contains("before reading"), e.getMessage());

        Files.writeString(blob, "hel");
        e = assertThrows(IOException.class, () -> ModelReader.open(dir).bytes("blob.bin"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        Path manifest = dir.resolve(ModelFormat.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"bytes\" : 5", "\"bytes\" : 9999999999"));
        e = assertThrows(IOException.class, () -> ModelReader.open(dir));
        assertTrue(e.getMessage().contains("'blob.bin'") && e.getMessage().contains("more than can be read"),
                e.getMessage());
    }
}
