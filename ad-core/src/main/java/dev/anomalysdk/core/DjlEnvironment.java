package dev.anomalysdk.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The one place that prepares DJL for the SDK: offline mode (no model-zoo or native downloads, no
 * telemetry) and device selection. Every SDK entry point that touches DJL calls {@link #init()} first.
 *
 * <p>CUDA: put DJL's {@code pytorch-native-cu*} artifact for your CUDA version on the classpath instead of
 * {@code pytorch-native-cpu}, then ask for {@code "cuda"} or {@code "cuda:N"}; see {@code docs/cuda.md}.
 */
public final class DjlEnvironment {
    private static volatile boolean initialized;

    private DjlEnvironment() {}

    /**
     * Puts DJL in offline mode unless the application already decided (system property
     * {@code ai.djl.offline} or environment variable {@code DJL_OFFLINE}), and selects the PyTorch engine.
     */
    public static synchronized void init() {
        if (initialized) {
            return;
        }
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("ai.djl.default_engine") == null) {
            System.setProperty("ai.djl.default_engine", "PyTorch");
        }
        // Dynamic batch sizes make libtorch's JIT profiling re-optimise on every new shape.
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
        initialized = true;
        Engine.getEngine("PyTorch");
        disableNnpack();
    }

    /**
     * Turns off libtorch's NNPACK convolutions. On CPUs that libtorch's cpuinfo does not know, every
     * convolution oneDNN does not take printed "Could not initialize NNPACK! Reason: Unsupported hardware."
     * (tens of thousands of lines in a test run, thousands in a demo), and SLF4J cannot silence native output.
     * NNPACK only ever serves some CPU forward convolutions that the native kernels compute too, so no result
     * changes. libtorch has no setting for it other than its C++ context, reached here through JNA (on
     * platforms where the symbol is not found, nothing changes).
     */
    private static void disableNnpack() {
        try {
            String file = System.mapLibraryName("torch_cpu");
            NativeLibrary lib = NativeLibrary.getInstance(Path.of(LibUtils.getLibtorchPath(), file).toString());
            Pointer context = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
            lib.getFunction("_ZN2at7Context20setUserEnabledNNPACKEb").invokeVoid(new Object[] {context, (byte) 0});
        } catch (RuntimeException | LinkageError e) {
            LoggerFactory.getLogger(DjlEnvironment.class).debug("NNPACK left as it is: {}", e.toString());
        }
    }

    /**
     * Sets libtorch's intra-op thread count for the whole process. On a machine shared with other heavy
     * processes, fewer threads than cores can be much faster (OpenMP threads wait for one another).
     *
     * @param threads threads per operation, at least 1
     */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("Invalid thread count: " + threads);
        }
        engine();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }

    /** @return the PyTorch engine, initialized offline */
    public static Engine engine() {
        init();
        return Engine.getEngine("PyTorch");
    }

    /**
     * Parses a device name.
     *
     * @param name {@code cpu}, {@code cuda}, {@code cuda:N}, or {@code auto} (first GPU when the engine has
     *     one, else CPU)
     * @return the device
     */
    public static Device device(String name) {
        String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("auto")) {
            return engine().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (n.equals("cuda") || n.equals("gpu")) {
            requireGpu(name, 0);
            return Device.gpu();
        }
        if (n.matches("(cuda|gpu):\\d+")) {
            int id = Integer.parseInt(n.substring(n.indexOf(':') + 1));
            requireGpu(name, id);
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("Invalid device '" + name + "': use cpu, cuda, cuda:N or auto");
    }

    private static void requireGpu(String name, int id) {
        int count = engine().getGpuCount();
        if (id >= count) {
            throw new IllegalArgumentException("Device '" + name + "' is not available: the PyTorch engine sees "
                    + count + " GPU(s). Use a pytorch-native-cu* artifact and a CUDA driver (docs/cuda.md).");
        }
    }
}
