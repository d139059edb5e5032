package dev.anomalysdk.reconstruction.dsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anomalysdk.core.persist.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The VQ model file format: a directory with {@value #MANIFEST} (the architecture: {@code hidden},
 * {@code residual_hidden}, {@code residual_layers}, {@code embedding_dim}, {@code codebook_size}, and a free
 * {@code source} text) and one float32 {@code .npy} per tensor, named as in the official PyTorch checkpoint
 * ({@code _encoder_b._conv_1.weight.npy}, {@code _vq_vae_top._embedding.weight.npy}, ...) with PyTorch's
 * layouts, transposed convolutions included. {@code tools/convert_dsr_vq.py} writes it from the official
 * {@code vq_model_pretrained_128_4096.pckl}; {@link DsrDetector#exportVqModel} writes a VQ model trained by
 * the SDK.
 */
final class VqFiles {
    /** The architecture file. */
    static final String MANIFEST = "vq.json";
    private static final long MAX_VALUES = 1L << 28;

    private VqFiles() {}

    /** The architecture recorded in a VQ model directory. */
    record Architecture(int hidden, int residualHidden, int residualLayers, int embeddingDim, int codebookSize,
            String source) {
        static Architecture read(Path dir) throws IOException {
            Path file = dir.resolve(MANIFEST);
            if (!Files.isRegularFile(file)) {
                throw new IOException("Invalid value for 'vq_model': " + dir + " has no " + MANIFEST
                        + " (convert the official checkpoint with tools/convert_dsr_vq.py)");
            }
            JsonNode j = new ObjectMapper().readTree(file.toFile());
            return new Architecture(j.path("hidden").asInt(), j.path("residual_hidden").asInt(),
                    j.path("residual_layers").asInt(), j.path("embedding_dim").asInt(),
                    j.path("codebook_size").asInt(), j.path("source").asText(""));
        }
    }

    /**
     * Loads a VQ model directory into an initialized model of the same architecture.
     *
     * @param dir the directory
     * @param vq the model
     */
    static void load(Path dir, VqModel vq) throws IOException {
        for (Map.Entry<String, Parameter> e : vq.parameters().entrySet()) {
            String name = e.getKey();
            Path file = dir.resolve(name + ".npy");
            if (!Files.isRegularFile(file)) {
                throw new IOException("Invalid value for 'vq_model': " + dir + " lacks " + file.getFileName());
            }
            Npy.Array a;
            try (InputStream in = Files.newInputStream(file)) {
                a = Npy.read(in, file.toString(), MAX_VALUES);
            }
            NDArray target = e.getValue().getArray();
            long[] want = target.getShape().getShape();
            float[] data = a.data();
            if (vq.isTransposedWeight(name)) {
                // PyTorch: in x out x 4 x 4; ours: out x in x 4 x 4.
                long[] pt = {want[1], want[0], want[2], want[3]};
                checkShape(file, a.shape(), pt);
                data = TransposedConv2d.fromPyTorch(data, (int) want[1], (int) want[0]);
            } else {
                checkShape(file, a.shape(), want);
            }
            target.set(FloatBuffer.wrap(data));
        }
    }

    private static void checkShape(Path file, long[] got, long[] want) throws IOException {
        if (!Arrays.equals(got, want)) {
            throw new IOException("Invalid value for 'vq_model': " + file + " has shape " + Arrays.toString(got)
                    + ", the configured VQ model needs " + Arrays.toString(want));
        }
    }

    /**
     * Writes a VQ model directory.
     *
     * @param dir the directory (created)
     * @param vq the model
     * @param arch its architecture
     */
    static void save(Path dir, VqModel vq, Architecture arch) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, Parameter> e : vq.parameters().entrySet()) {
            NDArray array = e.getValue().getArray();
            long[] shape = array.getShape().getShape();
            float[] data = array.toType(DataType.FLOAT32, false).toFloatArray();
            if (vq.isTransposedWeight(e.getKey())) {
                data = TransposedConv2d.toPyTorch(data, (int) shape[1], (int) shape[0]);
                shape = new long[] {shape[1], shape[0], shape[2], shape[3]};
            }
            try (OutputStream out = Files.newOutputStream(dir.resolve(e.getKey() + ".npy"))) {
                Npy.write(out, data, shape);
            }
        }
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("hidden", arch.hidden());
        j.put("residual_hidden", arch.residualHidden());
        j.put("residual_layers", arch.residualLayers());
        j.put("embedding_dim", arch.embeddingDim());
        j.put("codebook_size", arch.codebookSize());
        j.put("source", arch.source());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MANIFEST).toFile(), j);
    }
}
