package dev.anomalysdk.reconstruction.filterbank;

import dev.anomalysdk.core.config.Config;
import dev.anomalysdk.core.config.Param;
import java.util.Arrays;
import java.util.List;

/** The configuration keys of {@link FilterBankDetector}, with typed access. */
final class FilterBankConfig {
    static final Param<Integer> IMAGE_SIZE = Param.ofInt(Config.IMAGE_SIZE, 128, 16, 4096,
            "Side of the square the image is resized to");
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
    static final Param<Double> MAP_SIGMA = Param.ofDouble("map_sigma", 4.0, 0.0, 64.0,
            "Gaussian smoothing of the map in pixels of the resized image (0 = none)");
    static final Param<Integer> MAX_FIT_PATCHES = Param.ofInt("max_fit_patches", 100_000, 1000, 10_000_000,
            "Most neighbourhoods sampled per stage to learn the PCA filters");
    static final Param<Long> SEED = Param.ofLong(Config.SEED, 0L, 0L, Long.MAX_VALUE,
            "Random seed (patch sampling, calibration hold-out)");

    static final List<Param<?>> ALL = List.of(IMAGE_SIZE, KERNELS, COMPONENTS, WINDOW, SHRINKAGE, MAP_SIGMA,
            MAX_FIT_PATCHES, SEED);

    private final Config config;
    private final int[] kernels;
    private final int[] components;

    FilterBankConfig(Config config) {
        this.config = config;
        kernels = Arrays.stream(config.get(KERNELS).split(",")).mapToInt(Integer::parseInt).toArray();
        components = Arrays.stream(config.get(COMPONENTS).split(",")).mapToInt(Integer::parseInt).toArray();
        for (int k : kernels) {
            if (k % 2 == 0) {
                throw new IllegalArgumentException("Invalid value for 'kernels': " + config.get(KERNELS)
                        + " (sizes must be odd)");
            }
        }
        if (components.length != kernels.length) {
            throw new IllegalArgumentException("Invalid value for 'components': " + config.get(COMPONENTS) + " ("
                    + kernels.length + " stages in 'kernels' need " + kernels.length + " counts)");
        }
        for (int c : components) {
            if (c < 1) {
                throw new IllegalArgumentException("Invalid value for 'components': " + config.get(COMPONENTS));
            }
        }
        if (imageSize() >> (kernels.length - 1) < 2) {
            throw new IllegalArgumentException("Invalid value for 'image_size': " + imageSize() + " (too small for "
                    + kernels.length + " stages with 2x2 pooling)");
        }
    }

    int imageSize() {
        return config.get(IMAGE_SIZE);
    }

    int[] kernels() {
        return kernels.clone();
    }

    int[] components() {
        return components.clone();
    }

    int window() {
        return config.get(WINDOW);
    }

    double shrinkage() {
        return config.get(SHRINKAGE);
    }

    double mapSigma() {
        return config.get(MAP_SIGMA);
    }

    int maxFitPatches() {
        return config.get(MAX_FIT_PATCHES);
    }

    long seed() {
        return config.get(SEED);
    }
}
