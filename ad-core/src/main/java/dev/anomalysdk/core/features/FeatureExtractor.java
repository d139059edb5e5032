package dev.anomalysdk.core.features;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Turns a batch of images into named multi-scale feature maps, e.g. {@code layer2} and {@code layer3} of a
 * ResNet. Implementations: {@link TorchScriptBackbone} (a user-exported torchvision/timm model) and
 * {@link ResNetBackbone} (DJL blocks, random or trained weights, for offline use and tests).
 *
 * <p>Not thread-safe: use one extractor per thread.
 */
public interface FeatureExtractor extends AutoCloseable {

    /**
     * Runs the backbone.
     *
     * @param input float32 NCHW batch, pre-processed as {@link #expectedPreprocessing(int, int)} says, on
     *     {@link #device()}
     * @return the feature maps (NCHW) by layer name, in {@link #layers()} order; arrays belong to the
     *     input's manager
     */
    Map<String, NDArray> extract(NDArray input);

    /**
     * Runs the backbone with autograd as the calling thread has it, for methods that need gradients with
     * respect to the input (MKD's localization); weights stay frozen. Optional: extractors that cannot do it
     * keep this default.
     *
     * @param input float32 NCHW batch on {@link #device()}
     * @return the layers' maps in {@link #layers()} order, in the input's manager
     * @throws UnsupportedOperationException when this extractor cannot pass gradients to its input
     */
    default NDList forwardWithGradients(NDArray input) {
        throw new UnsupportedOperationException(identity() + " cannot pass gradients to its input");
    }

    /**
     * @return the network's architecture by its torchvision name (e.g. {@code resnet18},
     *     {@code wide_resnet50_2}, {@code vgg16}), or {@code unknown}; lets a method build a matching network
     *     (a student of the same architecture) without knowing the extractor's kind
     */
    default String architectureName() {
        return "unknown";
    }

    /** @return names of the layers returned by {@link #extract(NDArray)}, shallow to deep */
    List<String> layers();

    /** @return channels of each layer, in {@link #layers()} order */
    List<Integer> channels();

    /** @return the spatial down-sampling factor of each layer relative to the input (e.g. 8, 16) */
    List<Integer> strides();

    /** @return whether the weights were trained (e.g. on ImageNet); random weights give poor features */
    boolean isPretrained();

    /** @return a stable identity: kind, architecture and a hash of the weights */
    String identity();

    /** @return the device the backbone runs on */
    Device device();

    /**
     * @param resize side to resize to
     * @param cropSize center crop, or 0
     * @return the input pre-processing the weights expect (channels and normalization)
     */
    Preprocessing expectedPreprocessing(int resize, int cropSize);

    /** Saves the backbone (weights included) under {@code prefix} so {@link Backbones#restore} can rebuild it. */
    void save(ModelWriter writer, String prefix) throws IOException;

    /** Releases native memory. */
    @Override
    void close();
}
