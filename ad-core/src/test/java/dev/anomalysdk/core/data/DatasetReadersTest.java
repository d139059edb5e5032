package dev.anomalysdk.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.Mask;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReadersTest {
    @TempDir
    Path root;

    /** Writes a 4x3 gray image (PNG or BMP by extension); with {@code defect}, one non-zero pixel. */
    static Path image(Path file, boolean defect) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
        if (defect) {
            img.getRaster().setSample(1, 2, 0, 3);
        }
        String name = file.getFileName().toString();
        ImageIO.write(img, name.substring(name.lastIndexOf('.') + 1).replace("jpg", "jpeg"), file.toFile());
        return file;
    }

    private static List<String> ids(List<Sample> samples) {
        return samples.stream().map(Sample::id).toList();
    }

    private void mvtecCategory(String cat) throws IOException {
        Path c = root.resolve(cat);
        for (String n : new String[] {"001.png", "000.png", "002.png"}) {
            image(c.resolve("train/good").resolve(n), false);
        }
        Files.writeString(c.resolve("train/good/notes.txt"), "ignored");
        image(c.resolve("test/good/000.png"), false);
        image(c.resolve("test/crack/000.png"), false);
        image(c.resolve("test/crack/001.png"), false);
        image(c.resolve("test/scratch/000.png"), false);
        image(c.resolve("ground_truth/crack/000_mask.png"), true);
        image(c.resolve("ground_truth/crack/001_mask.png"), true);
        image(c.resolve("ground_truth/crack/005_mask.png"), true); // no image: ignored
        image(c.resolve("ground_truth/scratch/000.png"), true); // same-stem mask (MPDD style)
    }

    @Test
    void mvtec() throws IOException {
        mvtecCategory("bottle");
        mvtecCategory("cable");
        image(root.resolve("cable/test/hole/000.png"), false); // anomalous without mask
        DatasetReader r = new MvtecReader();
        assertEquals("mvtec", r.name());
        assertEquals(List.of("bottle", "cable"), r.categories(root));
        DatasetSplit s = r.read(root, "bottle");
        assertEquals("bottle", s.category());
        assertEquals(List.of("good/000.png", "good/001.png", "good/002.png"), ids(s.train()));
        assertTrue(s.validation().isEmpty());
        assertEquals(List.of("crack/000.png", "crack/001.png", "good/000.png", "scratch/000.png"), ids(s.test()));
        Sample crack = s.test().get(0);
        assertTrue(crack.anomalous());
        assertEquals("crack", crack.defectType());
        assertEquals(root.resolve("bottle/ground_truth/crack/000_mask.png"), crack.maskPath().orElseThrow());
        Mask m = crack.loadMask(3, 4);
        assertEquals(1, m.count());
        assertTrue(m.get(2, 1));
        assertEquals(root.resolve("bottle/ground_truth/scratch/000.png"), s.test().get(3).maskPath().orElseThrow());
        Sample good = s.test().get(2);
        assertFalse(good.anomalous());
        assertEquals("good", good.defectType());
        assertFalse(good.hasMask());
        assertEquals(1, good.loadImage().channels());

        DatasetSplit cable = r.read(root, "cable");
        Sample hole = cable.test().stream().filter(x -> x.id().equals("hole/000.png")).findFirst().orElseThrow();
        assertTrue(hole.anomalous());
        assertFalse(hole.hasMask());
    }

    @Test
    void badLayoutsNameThePath() throws IOException {
        DatasetReader r = new MvtecReader();
        Path missing = root.resolve("nope");
        IOException e = assertThrows(IOException.class, () -> r.categories(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> r.read(root, "bottle"));
        assertTrue(e.getMessage().contains(root.resolve("bottle").toString()), e.getMessage());
        Files.createDirectories(root.resolve("bottle/train/good"));
        e = assertThrows(IOException.class, () -> r.read(root, "bottle"));
        assertTrue(e.getMessage().contains(root.resolve("bottle/train/good").toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.read(root, "../x"));
    }

    @Test
    void mvtecAd2() throws IOException {
        Path c = root.resolve("can");
        image(c.resolve("train/good/000_regular.png"), false);
        image(c.resolve("validation/good/000_regular.png"), false);
        image(c.resolve("validation/good/001_regular.png"), false);
        image(c.resolve("test_public/good/000_regular.png"), false);
        image(c.resolve("test_public/bad/000_regular.png"), false);
        image(c.resolve("test_public/ground_truth/bad/000_regular_mask.png"), true);
        Files.createDirectories(c.resolve("test_private/000"));
        DatasetReader r = new MvtecAd2Reader();
        DatasetSplit s = r.read(root, "can");
        assertEquals(List.of("good/000_regular.png"), ids(s.train()));
        assertEquals(List.of("good/000_regular.png", "good/001_regular.png"), ids(s.validation()));
        assertEquals(List.of("bad/000_regular.png", "good/000_regular.png"), ids(s.test()));
        assertEquals(c.resolve("test_public/ground_truth/bad/000_regular_mask.png"),
                s.test().get(0).maskPath().orElseThrow());
        assertInstanceOf(MvtecAd2Reader.class, DatasetReaders.detect(root));
    }

    @Test
    void btad() throws IOException {
        Path c = root.resolve("01");
        image(c.resolve("train/ok/0000.bmp"), false);
        image(c.resolve("train/ok/0001.png"), false);
        image(c.resolve("test/ok/0000.bmp"), false);
        image(c.resolve("test/ko/0003.bmp"), false);
        image(c.resolve("ground_truth/ko/0003.png"), true);
        DatasetSplit s = new BtadReader().read(root, "01");
        assertEquals(List.of("ok/0000.bmp", "ok/0001.png"), ids(s.train()));
        assertEquals(List.of("ko/0003.bmp", "ok/0000.bmp"), ids(s.test()));
        assertEquals("ko", s.test().get(0).defectType());
        assertEquals("good", s.test().get(1).defectType());
        assertEquals(1, s.test().get(0).loadMask(3, 4).count());
        assertInstanceOf(BtadReader.class, DatasetReaders.detect(root));
    }

    @Test
    void ksdd2LabelsFromGroundTruth() throws IOException {
        image(root.resolve("train/10000.png"), false);
        image(root.resolve("train/10000_GT.png"), false);
        image(root.resolve("train/10001.png"), false);
        image(root.resolve("train/10001_GT.png"), true); // anomalous: excluded from training
        image(root.resolve("train/10002.png"), false);
        image(root.resolve("train/10002_GT.png"), false);
        image(root.resolve("test/20000.png"), false);
        image(root.resolve("test/20000_GT.png"), true);
        image(root.resolve("test/20001.png"), false);
        image(root.resolve("test/20001_GT.png"), false);
        DatasetReader r = DatasetReaders.detect(root);
        assertInstanceOf(Ksdd2Reader.class, r);
        assertEquals(List.of("ksdd2"), r.categories(root));
        DatasetSplit s = r.read(root, "ksdd2");
        assertEquals(List.of("10000.png", "10002.png"), ids(s.train()));
        assertEquals(List.of("20000.png", "20001.png"), ids(s.test()));
        assertTrue(s.test().get(0).anomalous());
        assertEquals(root.resolve("test/20000_GT.png"), s.test().get(0).maskPath().orElseThrow());
        assertFalse(s.test().get(1).anomalous());
        assertFalse(s.test().get(1).hasMask());
        assertThrows(IllegalArgumentException.class, () -> r.read(root, "other"));
    }

    @Test
    void visaCsv() throws IOException {
        image(root.resolve("candle/Data/Images/Normal/0000.JPG"), false);
        image(root.resolve("candle/Data/Images/Normal/0001.JPG"), false);
        image(root.resolve("candle/Data/Images/Anomaly/000.JPG"), false);
        image(root.resolve("candle/Data/Masks/Anomaly/000.png"), true);
        image(root.resolve("pcb1/Data/Images/Normal/0000.JPG"), false);
        Files.createDirectories(root.resolve("split_csv"));
        Files.writeString(root.resolve("split_csv/1cls.csv"), String.join("\n",
                "object,split,label,image,mask",
                "candle,train,normal,candle/Data/Images/Normal/0001.JPG,",
                "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png",
                "candle,test,normal,candle/Data/Images/Normal/0000.JPG,",
                "pcb1,train,normal,pcb1/Data/Images/Normal/0000.JPG,", ""));
        DatasetReader r = DatasetReaders.detect(root);
        assertInstanceOf(VisaReader.class, r);
        assertEquals(List.of("candle", "pcb1"), r.categories(root));
        DatasetSplit s = r.read(root, "candle");
        assertEquals(List.of("Normal/0001.JPG"), ids(s.train()));
        assertEquals(List.of("Anomaly/000.JPG", "Normal/0000.JPG"), ids(s.test()));
        Sample bad = s.test().get(0);
        assertTrue(bad.anomalous());
        assertEquals(1, bad.loadMask(3, 4).count()); // mask value 3: non-binary, still a defect
        IOException e = assertThrows(IOException.class, () -> r.read(root, "fryum"));
        assertTrue(e.getMessage().contains("1cls.csv"), e.getMessage());

        Files.writeString(root.resolve("split_csv/1cls.csv"),
                "object,split,label,image,mask\ncandle,train,normal,../outside.JPG,\n");
        e = assertThrows(IOException.class, () -> r.read(root, "candle"));
        assertTrue(e.getMessage().contains("../outside.JPG"), e.getMessage());
        Files.writeString(root.resolve("split_csv/1cls.csv"), "object;split\n");
        e = assertThrows(IOException.class, () -> r.categories(root));
        assertTrue(e.getMessage().contains("1cls.csv"), e.getMessage());
    }

    private void realIad(String json) throws IOException {
        Path base = root.resolve("realiad_256/audiojack");
        for (String v : new String[] {"C1", "C2"}) {
            image(base.resolve("OK/S0001/audiojack_0001_OK_" + v + "_20231021.jpg"), false);
            image(base.resolve("NG/BX/S0002/audiojack_0002_NG_" + v + "_20231022.jpg"), false);
            image(base.resolve("NG/BX/S0002/audiojack_0002_NG_" + v + "_20231022_mask.png"), true);
        }
        image(base.resolve("OK/S0003/audiojack_0003_OK_C1_20231023.jpg"), false);
        Files.createDirectories(root.resolve("realiad_jsons"));
        Files.writeString(root.resolve("realiad_jsons/audiojack.json"), json);
    }

    private static String entry(String cls, String image, String mask) {
        return "{\"category\":\"audiojack\",\"anomaly_class\":\"" + cls + "\",\"image_path\":\"" + image
                + "\",\"mask_path\":" + (mask == null ? "null" : "\"" + mask + "\"") + "}";
    }

    @Test
    void realIadJson() throws IOException {
        String ng = "NG/BX/S0002/audiojack_0002_NG_";
        realIad("{\"meta\":{\"prefix\":\"audiojack/\",\"normal_class\":\"OK\"},\"train\":["
                + entry("OK", "OK/S0001/audiojack_0001_OK_C1_20231021.jpg", null) + ","
                + entry("OK", "OK/S0001/audiojack_0001_OK_C2_20231021.jpg", null) + "],\"test\":["
                + entry("BX", ng + "C2_20231022.jpg", ng + "C2_20231022_mask.png") + ","
                + entry("BX", ng + "C1_20231022.jpg", ng + "C1_20231022_mask.png") + ","
                + entry("OK", "OK/S0003/audiojack_0003_OK_C1_20231023.jpg", null) + "]}");
        DatasetReader r = DatasetReaders.detect(root);
        assertInstanceOf(RealIadReader.class, r);
        assertEquals(List.of("audiojack"), r.categories(root));
        DatasetSplit s = r.read(root, "audiojack");
        assertEquals(2, s.train().size());
        assertEquals(List.of(ng + "C1_20231022.jpg", ng + "C2_20231022.jpg",
                "OK/S0003/audiojack_0003_OK_C1_20231023.jpg"), ids(s.test()));
        Sample bad = s.test().get(0);
        assertTrue(bad.anomalous());
        assertEquals("BX", bad.defectType());
        assertEquals(1, bad.loadMask(3, 4).count());
        assertFalse(s.test().get(2).anomalous());

        assertEquals("audiojack_0002_NG", RealIadReader.sampleKey(ng + "C3_20231022.jpg"));
        assertEquals("u_block_0001_OK", RealIadReader.sampleKey("OK/S0001/u_block_0001_OK_C5_2023.jpg"));
        assertEquals("plain.png", RealIadReader.sampleKey("plain.png"));
        Map<String, List<Sample>> groups = RealIadReader.groupBySample(s.test());
        assertEquals(List.of("audiojack_0002_NG", "audiojack_0003_OK"), List.copyOf(groups.keySet()));
        assertEquals(2, groups.get("audiojack_0002_NG").size());
        assertEquals(2, RealIadReader.groupBySample(s.train()).get("audiojack_0001_OK").size());
    }

    @Test
    void realIadSingleView() throws IOException {
        realIad("{\"meta\":{\"prefix\":\"audiojack/\",\"normal_class\":\"OK\"},\"train\":["
                + entry("OK", "OK/S0001/audiojack_0001_OK_C1_20231021.jpg", null) + "]}");
        Files.move(root.resolve("realiad_jsons"), root.resolve("realiad_jsons_sv"));
        DatasetReader r = DatasetReaders.detect(root);
        assertEquals(RealIadReader.SINGLE_VIEW, ((RealIadReader) r).jsonFolder());
        DatasetSplit s = new RealIadReader(RealIadReader.SINGLE_VIEW, "256").read(root, "audiojack");
        assertEquals(List.of("OK/S0001/audiojack_0001_OK_C1_20231021.jpg"), ids(s.train()));
        assertTrue(s.test().isEmpty());
        IOException e = assertThrows(IOException.class,
                () -> new RealIadReader(RealIadReader.SINGLE_VIEW, "1024").read(root, "audiojack"));
        assertTrue(e.getMessage().contains("realiad_1024"), e.getMessage());
    }

    @Test
    void realIadRejectsEscapingPathsAndBadJson() throws IOException {
        realIad("{\"meta\":{\"prefix\":\"audiojack/\",\"normal_class\":\"OK\"},\"train\":["
                + entry("OK", "../../secret.jpg", null) + "],\"test\":[]}");
        DatasetReader r = new RealIadReader();
        IOException e = assertThrows(IOException.class, () -> r.read(root, "audiojack"));
        assertTrue(e.getMessage().contains("../../secret.jpg") && e.getMessage().contains("audiojack.json"),
                e.getMessage());
        Files.writeString(root.resolve("realiad_jsons/audiojack.json"), "{\"meta\":{\"prefix\":\"audiojack/\"},"
                + "\"train\":[" + entry("OK", "/etc/passwd", null) + "]}");
        assertThrows(IOException.class, () -> r.read(root, "audiojack"));
        Files.writeString(root.resolve("realiad_jsons/audiojack.json"), "{\"train\": [ oops");
        e = assertThrows(IOException.class, () -> r.read(root, "audiojack"));
        assertTrue(e.getMessage().contains("audiojack.json"), e.getMessage());
    }

    @Test
    void folderReader() throws IOException {
        for (int i = 0; i < 10; i++) {
            image(root.resolve("good/" + i + ".png"), false);
        }
        image(root.resolve("defects/a.png"), false);
        image(root.resolve("defects/b.png"), false);
        image(root.resolve("masks/a_mask.png"), true);
        image(root.resolve("masks/b.png"), true);
        image(root.resolve("more_good/x.png"), false);
        FolderReader r = FolderReader.builder(Path.of("good")).abnormal(Path.of("defects")).masks(Path.of("masks"))
                .normalTest(root.resolve("more_good")).normalTestFraction(0.3).seed(7).build();
        assertEquals(List.of("folder"), r.categories(root));
        DatasetSplit s = r.read(root, "folder");
        assertEquals(7, s.train().size());
        assertEquals(3 + 1 + 2, s.test().size());
        assertEquals(List.of("defects/a.png", "defects/b.png"),
                ids(s.test().stream().filter(Sample::anomalous).toList()));
        assertEquals(root.resolve("masks/a_mask.png"), s.test().get(4).maskPath().orElseThrow());
        assertEquals(root.resolve("masks/b.png"), s.test().get(5).maskPath().orElseThrow());
        assertEquals("defects", s.test().get(4).defectType());
        assertTrue(s.test().stream().anyMatch(x -> x.id().equals("more_good/x.png")));
        // deterministic per seed, disjoint train/test
        assertEquals(ids(s.test()), ids(r.read(root, "folder").test()));
        for (Sample t : s.test()) {
            assertFalse(ids(s.train()).contains(t.id()));
        }
        DatasetSplit plain = FolderReader.builder(root.resolve("good")).build().read(root, "folder");
        assertEquals(10, plain.train().size());
        assertTrue(plain.test().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> FolderReader.builder(Path.of("g")).masks(Path.of("m")).build());
    }

    @Test
    void detectAndByName() throws IOException {
        mvtecCategory("bottle");
        assertInstanceOf(MvtecReader.class, DatasetReaders.detect(root));
        IOException e = assertThrows(IOException.class, () -> DatasetReaders.detect(root.resolve("bottle")));
        assertTrue(e.getMessage().contains(root.resolve("bottle").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("train/good") && e.getMessage().contains("1cls.csv"), e.getMessage());
        for (String name : DatasetReaders.NAMES) {
            assertEquals(name.replace("_sv", ""), DatasetReaders.byName(name).name());
        }
        assertEquals("mpdd", DatasetReaders.byName("MPDD").name());
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> DatasetReaders.byName("coco"));
        assertTrue(iae.getMessage().contains("coco") && iae.getMessage().contains("mvtec")
                && iae.getMessage().contains("realiad"), iae.getMessage());
        e = assertThrows(IOException.class, () -> new RealIadReader().categories(root));
        assertTrue(e.getMessage().contains(root.resolve("realiad_jsons").toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DatasetReaders.byName("folder"));
    }
}
