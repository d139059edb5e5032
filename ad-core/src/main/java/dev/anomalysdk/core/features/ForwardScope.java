package dev.anomalysdk.core.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs one inference forward pass so that only the requested outputs survive: the pass runs in a
 * sub-manager of the input's manager (every intermediate activation is freed when it closes), with
 * autograd off on the calling thread (PyTorch's grad mode is thread-local), and the kept outputs are
 * attached to the input's manager.
 */
final class ForwardScope {
    private ForwardScope() {}

    /**
     * @param input the network input; stays in its manager
     * @param forward runs the network on the input (moved to the backbone's device if needed)
     * @param outputNames a name per output of {@code forward}, or {@code null} to drop that output
     * @param device where the network lives
     * @return the named outputs, in {@code outputNames} order, owned by {@code input.getManager()}
     */
    static Map<String, NDArray> run(NDArray input, Function<NDArray, NDList> forward, List<String> outputNames,
            ai.djl.Device device) {
        NDManager owner = input.getManager();
        boolean pytorch = "PyTorch".equals(owner.getEngine().getEngineName());
        boolean grad = pytorch && JniUtils.isGradMode();
        if (grad) {
            JniUtils.setGradMode(false);
        }
        try (NDManager scope = owner.newSubManager()) {
            input.tempAttach(scope);
            NDArray x = input.getDevice().equals(device) ? input : input.toDevice(device, true);
            NDList out = forward.apply(x);
            if (out.size() != outputNames.size()) {
                throw new IllegalStateException("Backbone returned " + out.size() + " outputs but "
                        + outputNames.size() + " layer names are known: " + outputNames
                        + "; the TorchScript file and its layer names do not match");
            }
            Map<String, NDArray> result = new LinkedHashMap<>();
            for (int i = 0; i < out.size(); i++) {
                String name = outputNames.get(i);
                if (name != null) {
                    NDArray a = out.get(i);
                    a.setName(name);
                    a.attach(owner);
                    result.put(name, a);
                }
            }
            return result;
        } finally {
            if (grad) {
                JniUtils.setGradMode(true);
            }
        }
    }
}
