package dev.anomalysdk.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copies test fixtures from the classpath to a folder, so that tests of every module can use ad-core's
 * fixtures (shipped in its test jar, where they are not plain files) as paths.
 */
public final class TestResources {
    private TestResources() {}

    /**
     * @param folder classpath folder, e.g. {@code /backbones/vit}
     * @param target where to copy
     * @param names files of that folder
     * @return {@code target}
     */
    public static Path copy(String folder, Path target, String... names) throws IOException {
        Files.createDirectories(target);
        for (String name : names) {
            try (InputStream in = TestResources.class.getResourceAsStream(folder + "/" + name)) {
                if (in == null) {
                    throw new IOException("Test resource not found: " + folder + "/" + name);
                }
                Files.copy(in, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return target;
    }

    /** @return the tiny random ViT fixture ({@code backbones/vit/README.md}) copied to {@code target}, with its sidecar */
    public static Path tinyVit(Path target) throws IOException {
        return copy("/backbones/vit", target, "tiny_vit.pt", "tiny_vit.pt.json", "input.npy", "expected_tokens.npy")
                .resolve("tiny_vit.pt");
    }
}
