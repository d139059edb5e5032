package dev.anomalysdk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PreprocessingTest {
    /** A 7x11 random plane; the expected values below come from PIL 9.4 resizing it in float ('F') mode. */
    private static final float[] PLANE = {
        0.550798f, 0.708148f, 0.290905f, 0.510828f, 0.892947f, 0.896293f, 0.125585f, 0.207243f, 0.051467f, 0.44081f, 0.029876f,
        0.456833f, 0.649144f, 0.278487f, 0.676255f, 0.590863f, 0.023982f, 0.558854f, 0.259252f, 0.415101f, 0.283525f, 0.693138f,
        0.440454f, 0.156868f, 0.544649f, 0.780315f, 0.306364f, 0.221958f, 0.387971f, 0.936384f, 0.975995f, 0.672384f, 0.902834f,
        0.845751f, 0.377994f, 0.092217f, 0.653411f, 0.557841f, 0.361565f, 0.225054f, 0.40652f, 0.46894f, 0.269236f, 0.291793f,
        0.457686f, 0.860534f, 0.586253f, 0.283488f, 0.277978f, 0.454622f, 0.20541f, 0.201379f, 0.514035f, 0.087229f, 0.483586f,
        0.362176f, 0.707687f, 0.746746f, 0.691093f, 0.68918f, 0.3736f, 0.668135f, 0.339849f, 0.572794f, 0.325807f, 0.445145f,
        0.061529f, 0.242675f, 0.971603f, 0.230584f, 0.691478f, 0.650477f, 0.723939f, 0.475089f, 0.596664f, 0.066969f, 0.072562f,
    };

    @Test
    void shrinkingIsAntialiasedLikePil() {
        // PIL: Image.fromarray(a, 'F').resize((4, 3), Image.BILINEAR)
        float[] out = Preprocessing.resample(PLANE, 7, 11, 3, 4);
        assertArrayEquals(new float[] {
            0.49591371f, 0.53121978f, 0.39472088f, 0.43705225f,
            0.49673918f, 0.44862321f, 0.40826333f, 0.45757678f,
            0.53132731f, 0.56278282f, 0.49630240f, 0.32995674f}, out, 2e-6f);
    }

    @Test
    void enlargingIsBilinearLikePil() {
        // PIL: resize((15, 9), Image.BILINEAR); row 4 first five values and row 0 first three
        float[] out = Preprocessing.resample(PLANE, 7, 11, 9, 15);
        assertArrayEquals(new float[] {0.84575087f, 0.56509674f, 0.28273502f, 0.12962994f, 0.54117215f},
                java.util.Arrays.copyOfRange(out, 4 * 15, 4 * 15 + 5), 2e-6f);
        assertArrayEquals(new float[] {0.55079788f, 0.64520782f, 0.56906676f},
                java.util.Arrays.copyOfRange(out, 0, 3), 2e-6f);
    }

    @Test
    void shorterSideResizeThenCenterCropGivesTheCropSize() {
        Preprocessing p = Preprocessing.imagenet(256, 224);
        assertArrayEquals(new int[] {224, 224}, p.outputSize(300, 400));
        Preprocessing noCrop = Preprocessing.imagenet(100, 0);
        // torchvision: the longer side is int(100 * 400 / 300) = 133
        assertArrayEquals(new int[] {100, 133}, noCrop.outputSize(300, 400));
    }

    @Test
    void normalizationUsesMeanAndStdPerChannel() {
        Preprocessing p = new Preprocessing(3, Preprocessing.ResizeMode.SQUARE, 2, 0,
                new float[] {0.5f, 0f, 0f}, new float[] {0.25f, 1f, 2f});
        float[] px = new float[12];
        java.util.Arrays.fill(px, 0, 4, 1f);
        java.util.Arrays.fill(px, 4, 8, 0.5f);
        java.util.Arrays.fill(px, 8, 12, 1f);
        float[] out = p.apply(new ImageData(3, 2, 2, px, "t"));
        assertEquals(2f, out[0], 1e-6f);
        assertEquals(0.5f, out[4], 1e-6f);
        assertEquals(0.5f, out[8], 1e-6f);
    }

    @Test
    void grayscaleImagesAreReplicatedForRgbNetworks() {
        Preprocessing p = Preprocessing.unnormalized(3, 2);
        float[] out = p.apply(new ImageData(1, 2, 2, new float[] {0.1f, 0.2f, 0.3f, 0.4f}, "g"));
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, java.util.Arrays.copyOfRange(out, 8, 12), 1e-6f);
    }

    @Test
    void mapsGoBackToTheImageWithTheCroppedBorderAtTheMinimum() {
        // 8x8 image, resize 8, crop 4: the crop covers rows/cols 2..5.
        Preprocessing p = new Preprocessing(1, Preprocessing.ResizeMode.SHORTER_SIDE, 8, 4, new float[] {0},
                new float[] {1});
        AnomalyMap net = new AnomalyMap(4, 4, new float[] {1, 1, 1, 1, 1, 5, 5, 1, 1, 5, 5, 1, 1, 1, 1, 1});
        AnomalyMap back = p.toImage(net, 8, 8);
        assertEquals(8, back.height());
        assertEquals(5f, back.get(3, 3), 0f);
        assertEquals(1f, back.get(0, 0), 0f);
        assertEquals(1f, back.get(2, 2), 0f);
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Preprocessing.imagenet(100, 200));
        assertThrows(IllegalArgumentException.class, () -> new Preprocessing(2, Preprocessing.ResizeMode.SQUARE,
                10, 0, new float[2], new float[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new Preprocessing(1, Preprocessing.ResizeMode.SQUARE,
                10, 0, new float[1], new float[] {0}));
    }
}
