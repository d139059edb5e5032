package dev.anomalysdk.teacher.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.anomalysdk.core.AnomalyMap;
import dev.anomalysdk.core.BaseDetector.RawOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turning per-position distance tensors into detector outputs: bilinear upsampling on the tensor side, then
 * one raw {@link AnomalyMap} per image; the core smooths it ({@code map_sigma}) and takes its maximum as the
 * image score.
 */
public final class AnomalyMaps {
    /** PyTorch's bilinear mode code in DJL's {@code interpolation}. */
    private static final int BILINEAR = 1;

    private AnomalyMaps() {}

    /**
     * @param maps N1HW (or NCHW) maps
     * @param height target rows
     * @param width target columns
     * @param alignCorners PyTorch's {@code align_corners}
     * @return bilinearly resized maps (the input itself when the size already matches)
     */
    public static NDArray upsample(NDArray maps, long height, long width, boolean alignCorners) {
        if (maps.getShape().get(2) == height && maps.getShape().get(3) == width) {
            return maps;
        }
        return maps.getNDArrayInternal().interpolation(new long[] {height, width}, BILINEAR, alignCorners);
    }

    /**
     * @param maps N1HW maps at network input resolution
     * @return one raw output per image: the unsmoothed map, whose maximum after the core's smoothing is the
     *     image score
     */
    public static List<RawOutput> toOutputs(NDArray maps) {
        int n = Math.toIntExact(maps.getShape().get(0));
        int h = Math.toIntExact(maps.getShape().get(2));
        int w = Math.toIntExact(maps.getShape().get(3));
        float[] all = maps.toType(DataType.FLOAT32, false).toFloatArray();
        List<RawOutput> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(RawOutput.mapMax(new AnomalyMap(h, w, Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w))));
        }
        return out;
    }
}
