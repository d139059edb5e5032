package dev.anomalysdk.core.data;

import static dev.anomalysdk.core.data.DatasetReadersTest.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anomalysdk.core.synthesis.FolderTextures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Datasets and image folders reached through symbolic links (a dataset on another disk, a folder of
 * links to images) read exactly like the real folders; a link back to a parent folder is an error.
 */
class SymbolicLinksTest {
    @TempDir
    Path tmp;

    private static List<String> ids(List<Sample> samples) {
        return samples.stream().map(Sample::id).toList();
    }

    /** An MVTec category, every level of which is reached through a link. */
    @Test
    void anMvtecDatasetReachedThroughLinksReadsLikeTheRealOne() throws IOException {
        Path real = tmp.resolve("real");
        image(real.resolve("bottle/train/good/000.png"), false);
        image(real.resolve("bottle/test/good/000.png"), false);
        image(real.resolve("bottle/test/crack/000.png"), false);
        image(real.resolve("bottle/ground_truth/crack/000_mask.png"), true);
        // another disk: the training images, one of them itself a link to a file
        image(tmp.resolve("disk2/train_good/001.png"), false);
        image(tmp.resolve("disk2/elsewhere/002.png"), false);
        Files.createSymbolicLink(tmp.resolve("disk2/train_good/002.png"), tmp.resolve("disk2/elsewhere/002.png"));

        Path linked = Files.createDirectories(tmp.resolve("linked"));
        Path bottle = Files.createDirectories(linked.resolve("bottle"));
        Files.createDirectories(bottle.resolve("train"));
        Files.createSymbolicLink(bottle.resolve("train/good"), tmp.resolve("disk2/train_good"));
        Files.createSymbolicLink(bottle.resolve("test"), real.resolve("bottle/test"));
        Files.createSymbolicLink(bottle.resolve("ground_truth"), real.resolve("bottle/ground_truth"));
        Path root = Files.createSymbolicLink(tmp.resolve("dataset"), linked);

        assertInstanceOf(MvtecReader.class, DatasetReaders.detect(root));
        DatasetSplit s = new MvtecReader().read(root, "bottle");
        assertEquals(List.of("good/001.png", "good/002.png"), ids(s.train()));
        assertEquals(List.of("crack/000.png", "good/000.png"), ids(s.test()));
        assertEquals(1, s.test().get(0).loadMask(3, 4).count());
        assertEquals(4, s.train().get(1).loadImage().width());
    }

    @Test
    void aFolderDatasetOfLinkedFoldersReads() throws IOException {
        image(tmp.resolve("real/good/a.png"), false);
        image(tmp.resolve("real/good/b.png"), false);
        image(tmp.resolve("real/bad/c.png"), false);
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("good"), tmp.resolve("real/good"));
        Files.createSymbolicLink(root.resolve("bad"), tmp.resolve("real/bad"));
        DatasetSplit s = FolderReader.builder(Path.of("good")).abnormal(Path.of("bad")).build().read(root, "folder");
        assertEquals(List.of("good/a.png", "good/b.png"), ids(s.train()));
        assertEquals(List.of("bad/c.png"), ids(s.test()));
    }

    @Test
    void findImagesFollowsLinksToFoldersAndFiles() throws IOException {
        image(tmp.resolve("real/sub/a.png"), false);
        image(tmp.resolve("real/b.jpg"), false);
        image(tmp.resolve("other/c.bmp"), false);
        image(tmp.resolve("real/ground_truth/a_mask.png"), true);
        image(tmp.resolve("real/.hidden.png"), false);
        Files.writeString(tmp.resolve("real/notes.txt"), "not an image");
        Files.createSymbolicLink(tmp.resolve("real/linked_folder"), tmp.resolve("other"));
        Files.createSymbolicLink(tmp.resolve("real/linked_file.png"), tmp.resolve("other/c.bmp"));
        Files.createSymbolicLink(tmp.resolve("real/broken.png"), tmp.resolve("nowhere.png"));
        Path input = Files.createSymbolicLink(tmp.resolve("input"), tmp.resolve("real"));

        List<Path> found = ImageFiles.findImages(input, Set.of("ground_truth"));
        assertEquals(List.of("b.jpg", "linked_file.png", "linked_folder/c.bmp", "sub/a.png"),
                found.stream().map(p -> DatasetFiles.relativeId(input, p)).toList());
        assertTrue(found.stream().allMatch(p -> p.startsWith(input)), "paths stay under the folder as given");
    }

    @Test
    void aLinkLoopIsAnErrorNamingTheLink() throws IOException {
        image(tmp.resolve("real/sub/a.png"), false);
        Path loop = Files.createSymbolicLink(tmp.resolve("real/sub/back"), tmp.resolve("real"));
        Path input = Files.createSymbolicLink(tmp.resolve("input"), tmp.resolve("real"));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.findImages(input, Set.of()));
        String expected = input.resolve("sub/back").toString();
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("loop"), e.getMessage());
        assertTrue(Files.isSymbolicLink(loop));

        e = assertThrows(IOException.class, () -> FolderTextures.of(input));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
    }

    @Test
    void texturesFromALinkedFolderAreFound() throws IOException {
        image(tmp.resolve("dtd/images/banded/x.png"), false);
        Path link = Files.createSymbolicLink(tmp.resolve("textures"), tmp.resolve("dtd/images"));
        assertEquals(1, FolderTextures.of(link).files().size());
    }
}
