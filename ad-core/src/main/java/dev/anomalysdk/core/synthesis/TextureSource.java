package dev.anomalysdk.core.synthesis;

import dev.anomalysdk.core.ImageData;
import java.util.Random;

/**
 * Where the content pasted into a DRAEM-style anomaly comes from: a folder of texture photographs
 * ({@link FolderTextures}, e.g. the Describable Textures Dataset) or textures drawn on the fly
 * ({@link ProceduralTextures}, no data needed). Users may supply their own, e.g. photographs of real defect
 * materials.
 *
 * <p>Implementations must draw all randomness from the given {@link Random} (same state, same texture) and
 * be safe to call from several threads at once.
 */
public interface TextureSource {

    /**
     * @param height rows of the texture
     * @param width columns of the texture
     * @param random the generator to draw from
     * @return an RGB texture of exactly {@code height x width}, values in [0, 1]
     */
    ImageData texture(int height, int width, Random random);

    /** @return a short description for logs and model provenance, e.g. the folder and its image count */
    String describe();
}
