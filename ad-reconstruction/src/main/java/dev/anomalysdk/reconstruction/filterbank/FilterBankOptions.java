package dev.anomalysdk.reconstruction.filterbank;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import dev.anomalysdk.core.config.SharedParams;
import java.util.Arrays;
import java.util.List;

/**
 * The filter bank's options, validated: square resize to 128 pixels, three stages of 5, 3 and 3-pixel
 * neighbourhoods keeping 8, 16 and 24 AC filters, Gaussians pooled over a 3-cell radius with shrinkage 0.1,
 * map smoothing sigma 4.
 *
 * @param imageSize side of the square resize
 * @param kernels neighbourhood side of each stage (odd); their count is the number of stages
 * @param components AC filters kept per stage, one count per stage
 * @param window radius in cells of the neighbourhood pooled into each position's Gaussian, -1 = global
 * @param shrinkage covariance shrinkage toward a scaled identity
 * @param maxFitPatches most neighbourhoods sampled per stage to learn the filters
 * @param seed random seed
 */
record FilterBankOptions(int imageSize, List<Integer> kernels, List<Integer> components, int window, double shrinkage,
        int maxFitPatches, long seed) {
    static final Param<Integer> IMAGE_SIZE = SharedParams.IMAGE_SIZE.withDefault(128);
    static final Param<String> KERNELS = Param.ofString("kernels", "5,3,3", s -> s.matches("[1-9](,[1-9])*"),
            "comma-separated odd neighbourhood sizes, one per stage",
            "Neighbourhood side of each stage's PCA filters (the number of entries is the number of stages)");
    static final Param<String> COMPONENTS = Param.ofString("components", "8,16,24", s -> s.matches("\\d{1,3}(,\\d{1,3})*"),
            "comma-separated counts, one per stage",
            "AC (non-constant) PCA filters kept per stage, besides the constant (DC) filter");
    static final Param<Integer> WINDOW = Param.ofInt("window", 3, -1, 1000,
            "Radius in feature cells of the neighbourhood pooled into each position's Gaussian (-1 = one global "
                    + "Gaussian per stage, for textures)");
    static final Param<Double> SHRINKAGE = Param.ofDouble("shrinkage", 0.1, 0.0, 1.0,
            "Covariance shrinkage toward a scaled identity: (1-s) C + s tr(C)/d I");
    static final Param<Integer> MAX_FIT_PATCHES = Param.ofInt("max_fit_patches", 100_000, 1000, 10_000_000,
            "Most neighbourhoods sampled per stage to learn the PCA filters");

    static final List<Param<?>> PARAMS = List.of(IMAGE_SIZE, KERNELS, COMPONENTS, WINDOW, SHRINKAGE,
            SharedParams.MAP_SIGMA, MAX_FIT_PATCHES, SharedParams.SEED);

    /** Validates what the keys' own rules cannot. */
    FilterBankOptions {
        kernels = List.copyOf(kernels);
        components = List.copyOf(components);
        for (int k : kernels) {
            if (k % 2 == 0) {
                throw new IllegalArgumentException("Invalid value for 'kernels': " + join(kernels)
                        + " (sizes must be odd)");
            }
        }
        if (components.size() != kernels.size()) {
            throw new IllegalArgumentException("Invalid value for 'components': " + join(components) + " ("
                    + kernels.size() + " stages in 'kernels' need " + kernels.size() + " counts)");
        }
        for (int c : components) {
            if (c < 1) {
                throw new IllegalArgumentException("Invalid value for 'components': " + join(components));
            }
        }
        if (imageSize >> (kernels.size() - 1) < 2) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize + " (too small for "
                    + kernels.size() + " stages with 2x2 pooling)");
        }
    }

    /** @return the options a configuration built from {@link #PARAMS} sets */
    static FilterBankOptions of(Config c) {
        return new FilterBankOptions(c.get(IMAGE_SIZE), integers(c.get(KERNELS)), integers(c.get(COMPONENTS)),
                c.get(WINDOW), c.get(SHRINKAGE), c.get(MAX_FIT_PATCHES), c.get(SharedParams.SEED));
    }

    private static List<Integer> integers(String csv) {
        return Arrays.stream(csv.split(",")).map(Integer::valueOf).toList();
    }

    private static String join(List<Integer> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }
}
