package dev.anomalysdk.core.features;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.Preprocessing;
import dev.anomalysdk.core.nn.AlignedConv2d;
import dev.anomalysdk.core.persist.ModelReader;
import dev.anomalysdk.core.persist.ModelWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A ResNet feature extractor built from DJL blocks with torchvision's layout (v1.5: the stride sits on the
 * 3x3 convolution of a bottleneck), returning the outputs of {@code layer1 .. layer4}. Layers deeper than
 * the deepest requested one are not built.
 *
 * <p>Weights are random, drawn deterministically from a seed the way torchvision initializes a ResNet:
 * convolutions Kaiming-normal with fan-out ({@code std = sqrt(2 / (out_channels * k * k))}), batch-norm
 * weight 1 and bias 0, running mean 0 and variance 1. The same seed gives bit-identical weights and
 * outputs. Random features are poor for anomaly detection; use this class offline, in tests, or as a
 * starting point for training through {@link #block()} (then {@link #setPretrained(boolean)}). For real
 * images export a pretrained network with {@code tools/export_backbone.py} and use
 * {@link TorchScriptBackbone}.
 *
 * <p>{@link #extract} always runs in inference mode: batch-norm uses its running statistics and no
 * gradient is recorded.
 */
public final class ResNetBackbone implements FeatureExtractor {
    /** {@code kind} of this backbone in a saved descriptor. */
    static final String KIND = "resnet";
    /** Saved parameters (DJL's block parameter format), under the model prefix. */
    static final String PARAMS = "backbone.params";
    /** Base width of the torchvision networks. */
    public static final int STANDARD_BASE_WIDTH = 64;
    /** The layers a ResNet offers, shallow to deep. */
    public static final List<String> ALL_LAYERS = List.of("layer1", "layer2", "layer3", "layer4");
    private static final float BN_EPSILON = 1e-5f;

    /** Supported torchvision architectures. */
    public enum Architecture {
        /** ResNet-18: BasicBlock, [2, 2, 2, 2], widths 64-128-256-512. */
        RESNET18("resnet18", false, new int[] {2, 2, 2, 2}, 1),
        /** ResNet-50: Bottleneck, [3, 4, 6, 3], outputs 256-512-1024-2048. */
        RESNET50("resnet50", true, new int[] {3, 4, 6, 3}, 1),
        /** Wide ResNet-50-2: Bottleneck with doubled inner width (width_per_group 128), outputs 256..2048. */
        WIDE_RESNET50_2("wide_resnet50_2", true, new int[] {3, 4, 6, 3}, 2);

        private final String id;
        private final boolean bottleneck;
        private final int[] blocks;
        private final int innerFactor;

        Architecture(String id, boolean bottleneck, int[] blocks, int innerFactor) {
            this.id = id;
            this.bottleneck = bottleneck;
            this.blocks = blocks;
            this.innerFactor = innerFactor;
        }

        /** @return torchvision's name, e.g. {@code wide_resnet50_2} */
        public String id() {
            return id;
        }

        /**
         * @param id torchvision's name
         * @return the architecture
         * @throws IllegalArgumentException listing the known names
         */
        public static Architecture fromId(String id) {
            for (Architecture a : values()) {
                if (a.id.equalsIgnoreCase(id)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("Unknown ResNet architecture '" + id + "'; known: "
                    + Arrays.stream(values()).map(Architecture::id).toList());
        }

        /**
         * @param layer a ResNet layer ({@code layer1} .. {@code layer4})
         * @param channels that layer's channels
         * @return the stem width of the network of this architecture with those channels (the inverse of
         *     {@link ResNetBackbone#channels()})
         */
        public int baseWidth(String layer, int channels) {
            return channels / stageChannels(this, 1, ALL_LAYERS.indexOf(layer));
        }

        int expansion() {
            return bottleneck ? 4 : 1;
        }
    }

    private final Architecture architecture;
    private final int baseWidth;
    private final long seed;
    private final List<String> layers;
    private final NDManager manager;
    private final FeatureBlock block;
    private final Device device;
    private boolean pretrained;

    private ResNetBackbone(Architecture architecture, int baseWidth, List<String> layers, long seed, Device device) {
        DjlEnvironment.init();
        if (baseWidth < 1) {
            throw new IllegalArgumentException("Invalid base width: " + baseWidth);
        }
        this.architecture = architecture;
        this.baseWidth = baseWidth;
        this.seed = seed;
        this.layers = canonicalLayers(layers);
        this.device = device;
        this.manager = DjlEnvironment.engine().newBaseManager(device);
        this.block = new FeatureBlock(architecture, baseWidth, this.layers);
    }

    /**
     * Builds a randomly initialized ResNet of torchvision's size.
     *
     * @param architecture which network
     * @param layers layers to return ({@code layer1 .. layer4}); {@code null} for all four
     * @param seed weights seed
     * @param device where to run it
     * @return the backbone
     */
    public static ResNetBackbone random(Architecture architecture, List<String> layers, long seed, Device device) {
        return random(architecture, STANDARD_BASE_WIDTH, layers, seed, device);
    }

    /**
     * Builds a randomly initialized ResNet, possibly narrower than torchvision's (for tests).
     *
     * @param architecture which network
     * @param baseWidth stem width and first stage's planes; torchvision uses {@value #STANDARD_BASE_WIDTH}.
     *     Stage {@code i} (0-based) then outputs {@code baseWidth * 2^i * expansion} channels
     * @param layers layers to return ({@code layer1 .. layer4}); {@code null} for all four
     * @param seed weights seed
     * @param device where to run it
     * @return the backbone
     */
    public static ResNetBackbone random(Architecture architecture, int baseWidth, List<String> layers, long seed,
            Device device) {
        ResNetBackbone b = new ResNetBackbone(architecture, baseWidth, layers, seed, device);
        try {
            b.block.initialize(b.manager, DataType.FLOAT32, new Shape(1, 3, 64, 64));
            b.initializeWeights();
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** Rebuilds a backbone saved by {@link #save}; called by {@link Backbones#restore}. */
    static ResNetBackbone restore(ModelReader reader, String prefix, ObjectNode descriptor, Device device)
            throws IOException {
        String where = reader.directory() + " (" + prefix + PARAMS + ")";
        Architecture arch;
        List<String> layers = new ArrayList<>();
        try {
            arch = Architecture.fromId(descriptor.path("architecture").asText());
            descriptor.path("layers").forEach(n -> layers.add(n.asText()));
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid ResNet backbone description in " + where + ": " + e.getMessage(), e);
        }
        int width = descriptor.path("base_width").asInt(-1);
        if (width < 1 || layers.isEmpty()) {
            throw new IOException("Invalid ResNet backbone description in " + where);
        }
        byte[] params = reader.bytes(prefix + PARAMS);
        String hash = BackboneFiles.sha256(params);
        if (descriptor.has("sha256") && !hash.equals(descriptor.path("sha256").asText())) {
            throw new IOException("Backbone parameters " + where + " have sha256 " + hash
                    + " but the model says " + descriptor.path("sha256").asText());
        }
        ResNetBackbone b = new ResNetBackbone(arch, width, layers, descriptor.path("seed").asLong(0), device);
        try {
            b.block.loadParameters(b.manager, new DataInputStream(new ByteArrayInputStream(params)));
            b.pretrained = descriptor.path("pretrained").asBoolean(false);
            return b;
        } catch (MalformedModelException | RuntimeException e) {
            b.close();
            throw new IOException("Cannot read backbone parameters " + where + ": " + e.getMessage(), e);
        }
    }

    private static List<String> canonicalLayers(List<String> requested) {
        if (requested == null) {
            return ALL_LAYERS;
        }
        if (requested.isEmpty()) {
            throw new IllegalArgumentException("No layers requested; choose among " + ALL_LAYERS);
        }
        for (String l : requested) {
            if (!ALL_LAYERS.contains(l)) {
                throw new IllegalArgumentException("Invalid ResNet layer '" + l + "'; choose among " + ALL_LAYERS);
            }
        }
        if (requested.stream().distinct().count() != requested.size()) {
            throw new IllegalArgumentException("Duplicate layer names: " + requested);
        }
        return ALL_LAYERS.stream().filter(requested::contains).toList();
    }

    /** torchvision's ResNet init, from {@link #seed}, one independent stream per parameter. */
    private void initializeWeights() {
        int index = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter param = p.getValue();
            NDArray array = param.getArray();
            Shape shape = array.getShape();
            int n = Math.toIntExact(shape.size());
            float[] values = new float[n];
            switch (param.getType()) {
                case WEIGHT -> {
                    if (shape.dimension() != 4) {
                        throw new IllegalStateException("Unexpected weight " + p.getKey() + " " + shape);
                    }
                    double std = Math.sqrt(2.0 / (shape.get(0) * shape.get(2) * shape.get(3)));
                    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + index);
                    for (int i = 0; i < n; i++) {
                        values[i] = (float) (rnd.nextGaussian() * std);
                    }
                }
                case GAMMA, RUNNING_VAR -> Arrays.fill(values, 1f);
                case BETA, RUNNING_MEAN, BIAS -> Arrays.fill(values, 0f);
                default -> throw new IllegalStateException("Unexpected parameter " + p.getKey() + " of type "
                        + param.getType());
            }
            array.set(values);
            index++;
        }
    }

    /**
     * @return the underlying block (input NCHW, output the requested layers in order), for training by other
     *     modules; its parameters live in this backbone's manager and are freed by {@link #close()}
     */
    public Block block() {
        return block;
    }

    /** @return which network */
    public Architecture architecture() {
        return architecture;
    }

    /** @return torchvision's name of the architecture, e.g. {@code resnet18} */
    @Override
    public String architectureName() {
        return architecture.id();
    }

    /** @return the stem width ({@value #STANDARD_BASE_WIDTH} for torchvision's networks) */
    public int baseWidth() {
        return baseWidth;
    }

    /** @return the seed the weights were initialized from */
    public long seed() {
        return seed;
    }

    /**
     * Declares the weights trained (after training {@link #block()} or loading trained parameters into it);
     * saved with the backbone.
     *
     * @param pretrained whether the weights are trained
     */
    public void setPretrained(boolean pretrained) {
        this.pretrained = pretrained;
    }

    @Override
    public Map<String, NDArray> extract(NDArray input) {
        if (input.getShape().dimension() != 4 || input.getShape().get(1) != 3) {
            throw new IllegalArgumentException("ResNet input must be [N,3,H,W], got " + input.getShape());
        }
        return ForwardScope.run(input,
                x -> block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false), layers, device);
    }

    @Override
    public List<String> layers() {
        return layers;
    }

    @Override
    public List<Integer> channels() {
        return layers.stream().map(l -> stageChannels(architecture, baseWidth, ALL_LAYERS.indexOf(l))).toList();
    }

    @Override
    public List<Integer> strides() {
        return layers.stream().map(l -> 4 << ALL_LAYERS.indexOf(l)).toList();
    }

    @Override
    public boolean isPretrained() {
        return pretrained;
    }

    /** @return {@code resnet:<architecture>:width=<base>:sha256=<hash of the parameters>} */
    @Override
    public String identity() {
        return KIND + ":" + architecture.id() + ":width=" + baseWidth + ":sha256="
                + BackboneFiles.sha256(parameterBytes());
    }

    @Override
    public Device device() {
        return device;
    }

    /** @return ImageNet normalization, as torchvision's ResNets expect */
    @Override
    public Preprocessing expectedPreprocessing(int resize, int cropSize) {
        return Preprocessing.imagenet(resize, cropSize);
    }

    /**
     * Writes {@code <prefix>backbone.params} (DJL's parameter format) and {@code <prefix>backbone.json}
     * (architecture, base width, layers, seed, pretrained flag, parameter hash).
     */
    @Override
    public void save(ModelWriter writer, String prefix) throws IOException {
        byte[] params = parameterBytes();
        ObjectNode d = BackboneFiles.JSON.createObjectNode();
        d.put("kind", KIND);
        d.put("architecture", architecture.id());
        d.put("base_width", baseWidth);
        layers.forEach(d.putArray("layers")::add);
        d.put("seed", seed);
        d.put("pretrained", pretrained);
        d.put("sha256", BackboneFiles.sha256(params));
        writer.putBytes(prefix + PARAMS, params);
        writer.putBytes(prefix + BackboneFiles.DESCRIPTOR, BackboneFiles.JSON.writeValueAsBytes(d));
    }

    private byte[] parameterBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot serialize backbone parameters", e);
        }
        return bytes.toByteArray();
    }

    /** Number of arrays held by this backbone's manager (parameters), for leak tests. */
    int managedArrayCount() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ResNetBackbone[%s, width=%d, layers=%s, seed=%d, pretrained=%s]",
                architecture.id(), baseWidth, layers, seed, pretrained);
    }

    static int stageChannels(Architecture a, int baseWidth, int stage) {
        return (baseWidth << stage) * a.expansion();
    }

    /** Stem, then the stages up to the deepest requested layer; returns the requested stage outputs. */
    private static final class FeatureBlock extends AbstractBlock {
        private static final byte VERSION = 1;
        private final boolean[] returned;

        FeatureBlock(Architecture a, int base, List<String> layers) {
            super(VERSION);
            int depth = ALL_LAYERS.indexOf(layers.get(layers.size() - 1)) + 1;
            returned = new boolean[depth];
            for (String l : layers) {
                returned[ALL_LAYERS.indexOf(l)] = true;
            }
            addChildBlock("stem", new SequentialBlock()
                    .add(conv(base, 7, 2, 3))
                    .add(bn())
                    .add(Activation::relu)
                    .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1))));
            int in = base;
            for (int s = 0; s < depth; s++) {
                int planes = base << s;
                SequentialBlock stage = new SequentialBlock();
                for (int b = 0; b < a.blocks[s]; b++) {
                    int stride = (b == 0 && s > 0) ? 2 : 1;
                    stage.add(a.bottleneck ? bottleneck(in, planes, planes * a.innerFactor, stride)
                            : basic(in, planes, stride));
                    in = planes * a.expansion();
                }
                addChildBlock(ALL_LAYERS.get(s), stage);
            }
        }

        private static Block basic(int in, int planes, int stride) {
            SequentialBlock main = new SequentialBlock()
                    .add(conv(planes, 3, stride, 1)).add(bn()).add(Activation::relu)
                    .add(conv(planes, 3, 1, 1)).add(bn());
            return residual(main, shortcut(in, planes, stride));
        }

        private static Block bottleneck(int in, int planes, int width, int stride) {
            SequentialBlock main = new SequentialBlock()
                    .add(conv(width, 1, 1, 0)).add(bn()).add(Activation::relu)
                    .add(conv(width, 3, stride, 1)).add(bn()).add(Activation::relu)
                    .add(conv(planes * 4, 1, 1, 0)).add(bn());
            return residual(main, shortcut(in, planes * 4, stride));
        }

        private static Block shortcut(int in, int out, int stride) {
            if (stride == 1 && in == out) {
                return Blocks.identityBlock();
            }
            return new SequentialBlock().add(conv(out, 1, stride, 0)).add(bn());
        }

        private static Block residual(Block main, Block shortcut) {
            return new ParallelBlock(
                    outs -> new NDList(Activation.relu(
                            outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow()))),
                    List.of(main, shortcut));
        }

        private static Block conv(int filters, int kernel, int stride, int padding) {
            return AlignedConv2d.of(Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                    .optStride(new Shape(stride, stride)).optPadding(new Shape(padding, padding)).optBias(false));
        }

        private static Block bn() {
            return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(0.9f).build();
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDList x = children.get(0).getValue().forward(store, inputs, training, params);
            NDList out = new NDList();
            for (int s = 0; s < returned.length; s++) {
                x = children.get(s + 1).getValue().forward(store, x, training, params);
                if (returned[s]) {
                    out.add(x.singletonOrThrow());
                }
            }
            return out;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] shapes = inputShapes;
            for (Pair<String, Block> child : children) {
                child.getValue().initialize(manager, dataType, shapes);
                shapes = child.getValue().getOutputShapes(shapes);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] shapes = children.get(0).getValue().getOutputShapes(inputShapes);
            List<Shape> out = new ArrayList<>();
            for (int s = 0; s < returned.length; s++) {
                shapes = children.get(s + 1).getValue().getOutputShapes(shapes);
                if (returned[s]) {
                    out.add(shapes[0]);
                }
            }
            return out.toArray(Shape[]::new);
        }
    }
}
