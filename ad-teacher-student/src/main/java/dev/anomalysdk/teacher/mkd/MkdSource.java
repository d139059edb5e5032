package dev.anomalysdk.teacher.mkd;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.features.Backbones;
import dev.anomalysdk.core.features.FeatureExtractor;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import dev.anomalysdk.core.training.TrainingLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MKD's frozen source network: the pooled outputs of chosen VGG-16 blocks, either from an exported
 * TorchScript VGG-16 (pretrained on ImageNet for real use; {@code tools/export_backbone.py --model vgg16
 * --layers features.9 features.16 features.23 features.30} for blocks 2-5) or from a built-in VGG-16 of DJL
 * blocks with seeded Xavier-uniform weights ({@code vgg16}, {@code vgg16:width=K} for base width K), as
 * the official code builds its source when {@code pretrain} is off. Its forward pass keeps autograd as the
 * caller has it, so gradients reach the input. Not thread-safe.
 */
final class MkdSource implements AutoCloseable {
    private static final Pattern BUILT_IN = Pattern.compile("vgg16(?::width=(\\d+))?");
    /** torchvision's {@code features} index of the max-pool that ends each VGG-16 block. */
    private static final int[] POOL_INDEX = {4, 9, 16, 23, 30};
    private static final String PREFIX = "source_";
    private static final String BUILT_IN_PARAMS = "source_vgg16.params";
    private final FeatureExtractor script;
    private final VggNetwork vgg;
    private final NDManager vggManager;
    private final int baseWidth;
    private final long seed;

    private MkdSource(FeatureExtractor script, VggNetwork vgg, NDManager vggManager, int baseWidth, long seed) {
        this.script = script;
        this.vgg = vgg;
        this.vggManager = vggManager;
        this.baseWidth = baseWidth;
        this.seed = seed;
    }

    /**
     * @param blocks 1-based VGG blocks, ascending
     * @return torchvision node names of those blocks' max-pools ({@code features.9} for block 2)
     */
    static List<String> layerNames(List<Integer> blocks) {
        return blocks.stream().map(b -> "features." + POOL_INDEX[b - 1]).toList();
    }

    /**
     * @param spec the {@code backbone} value
     * @param blocks compared blocks, ascending
     * @param seed seed of a built-in network's weights
     * @param device where it runs
     * @param imageSize input side, to initialize a built-in network
     * @return the source, to be closed by the caller
     * @throws IllegalArgumentException when the spec is neither form, or a TorchScript file lacks the layers
     *     or has no VGG-16 channel pattern
     */
    static MkdSource open(String spec, List<Integer> blocks, long seed, Device device, int imageSize) {
        Matcher m = BUILT_IN.matcher(spec.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            int width = m.group(1) == null ? 64 : Integer.parseInt(m.group(1));
            if (width < 1) {
                throw new IllegalArgumentException("Invalid value for 'backbone': " + spec + " (width at least 1)");
            }
            VggNetwork net = VggNetwork.source(width, blocks);
            NDManager manager = NDManager.newBaseManager(device);
            net.setInitializer(new XavierUniform(seed), Parameter.Type.WEIGHT);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, imageSize, imageSize));
            net.freezeParameters(true);
            return new MkdSource(null, net, manager, width, seed);
        }
        List<String> layers = layerNames(blocks);
        String expected = "MKD's source must be vgg16[:width=K] or a TorchScript VGG-16 returning " + layers
                + " (tools/export_backbone.py --model vgg16 --layers " + String.join(" ", layers) + "), got '"
                + spec + "'";
        FeatureExtractor fx;
        try {
            fx = Backbones.create(spec, layers, device);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open MKD source '" + spec + "': " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected + ": " + e.getMessage(), e);
        }
        if (!fx.layers().equals(layers)) {
            fx.close();
            throw new IllegalArgumentException(expected);
        }
        int width = fx.channels().get(0) / VggNetwork.sourceChannels(1, blocks.get(0));
        for (int i = 0; i < blocks.size(); i++) {
            if (width < 1 || fx.channels().get(i) != VggNetwork.sourceChannels(width, blocks.get(i))) {
                fx.close();
                throw new IllegalArgumentException("MKD source " + spec + " has channels " + fx.channels()
                        + " at " + layers + ", not those of a VGG-16");
            }
        }
        return new MkdSource(fx, null, null, width, seed);
    }

    /**
     * @param x NCHW input in [0, 1] on the source's device
     * @return the compared maps, shallow to deep, in the input's manager (autograd as the caller has it)
     */
    NDList features(NDArray x) {
        return script != null ? script.forwardWithGradients(x) : vgg.features(x);
    }

    /** @return channels of block 1 (64 for VGG-16); the cloner's block ends match the source's widths */
    int baseWidth() {
        return baseWidth;
    }

    /** @return whether the weights are trained (a TorchScript export with pretrained weights) */
    boolean isPretrained() {
        return script != null && script.isPretrained();
    }

    /** @return the TorchScript identity, or {@code vgg16:random:width=K:seed=S} */
    String identity() {
        return script != null ? script.identity() : "vgg16:random:width=" + baseWidth + ":seed=" + seed;
    }

    /** Writes the source (TorchScript bytes or built-in parameters) and its kind into {@code state}. */
    void save(ModelWriter writer, ObjectNode state) throws IOException {
        state.put("source_base_width", baseWidth);
        if (script != null) {
            state.put("source_kind", "torchscript");
            script.save(writer, PREFIX);
        } else {
            state.put("source_kind", "vgg16");
            state.put("source_seed", seed);
            writer.putBytes(BUILT_IN_PARAMS, TrainingLoop.parameterBytes(vgg));
        }
    }

    /** Reads what {@link #save} wrote. */
    static MkdSource restore(ModelReader reader, JsonNode state, List<Integer> blocks, Device device)
            throws IOException {
        int width = state.path("source_base_width").asInt(0);
        String kind = state.path("source_kind").asText();
        if (width < 1) {
            throw new IOException("Invalid MKD source description in " + reader.directory());
        }
        if ("torchscript".equals(kind)) {
            FeatureExtractor fx = Backbones.restore(reader, PREFIX, device);
            if (!fx.layers().equals(layerNames(blocks))) {
                fx.close();
                throw new IOException("MKD source in " + reader.directory() + " does not return "
                        + layerNames(blocks));
            }
            return new MkdSource(fx, null, null, width, 0);
        }
        if (!"vgg16".equals(kind)) {
            throw new IOException("Unknown MKD source kind '" + kind + "' in " + reader.directory());
        }
        VggNetwork net = VggNetwork.source(width, blocks);
        NDManager manager = NDManager.newBaseManager(device);
        try {
            TrainingLoop.restoreParameters(net, manager, reader.bytes(BUILT_IN_PARAMS));
        } catch (IllegalArgumentException | IOException e) {
            manager.close();
            throw new IOException("Cannot load " + reader.directory() + "/files/" + BUILT_IN_PARAMS + ": "
                    + e.getMessage(), e);
        }
        net.freezeParameters(true);
        return new MkdSource(null, net, manager, width, state.path("source_seed").asLong());
    }

    @Override
    public void close() {
        if (script != null) {
            script.close();
        }
        if (vggManager != null) {
            vggManager.close();
        }
    }
}
