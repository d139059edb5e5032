package dev.anomalysdk.core.training;

import org.junit.jupiter.api.io.TempDir;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Files;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.anomalysdk.core.DjlEnvironment;
import dev.anomalysdk.core.ProgressListener;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainingLoopTest {

    /** y = sin(3 x0) + x1^2 on random inputs in [-1, 1]^2: a tiny regression an MLP fits quickly. */
    static final class Regression implements TrainingLoop.Task {
        final int steps;
        final int batch;

        Regression(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
        }

        @Override
        public int stepsPerEpoch() {
            return steps;
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            float[] x = new float[batch * 2];
            float[] y = new float[batch];
            for (int i = 0; i < batch; i++) {
                x[2 * i] = random.nextFloat() * 2 - 1;
                x[2 * i + 1] = random.nextFloat() * 2 - 1;
                y[i] = (float) (Math.sin(3 * x[2 * i]) + x[2 * i + 1] * x[2 * i + 1]);
            }
            return new TrainingLoop.Batch(new NDList(scope.create(x, new Shape(batch, 2))),
                    new NDList(scope.create(y, new Shape(batch, 1))));
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return predictions.singletonOrThrow().sub(labels.singletonOrThrow()).square().mean();
        }
    }

    static Block mlp() {
        return new SequentialBlock().add(Linear.builder().setUnits(16).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(1).build());
    }

    static Model model() {
        DjlEnvironment.init();
        Model m = Model.newInstance("mlp", Device.cpu());
        m.setBlock(mlp());
        return m;
    }

    static final Shape[] INPUT = {new Shape(1, 2)};

    @Test
    void trainingLowersTheLossOnATinyRegression() {
        try (Model m = model()) {
            TrainingSchedule s = TrainingSchedule.adamCosine(20, 0.01, 3);
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, s, new Regression(20, 32), null, ProgressListener.NONE);
            assertEquals(20, r.epochs().size());
            assertEquals(400, r.steps());
            // The target's variance is about 0.6; a fitted MLP gets far below it.
            assertTrue(r.lastLoss() < 0.25 * r.firstLoss(), r.firstLoss() + " -> " + r.lastLoss());
            assertTrue(r.lastLoss() < 0.05, "final loss " + r.lastLoss());
            // Cosine decay ends near 1 % of the initial rate.
            assertEquals(0.0001, r.epochs().get(19).learningRate(), 0.0002);
        }
    }

    @Test
    void theSameSeedGivesTheSameParameters() {
        byte[][] params = new byte[3][];
        long[] seeds = {5, 5, 6};
        for (int i = 0; i < 3; i++) {
            try (Model m = model()) {
                TrainingLoop.fit(m, INPUT, TrainingSchedule.adamCosine(3, 0.01, seeds[i]), new Regression(10, 16), null,
                        ProgressListener.NONE);
                params[i] = TrainingLoop.parameterBytes(m.getBlock());
            }
        }
        assertArrayEquals(params[0], params[1]);
        assertFalse(Arrays.equals(params[0], params[2]), "another seed, other parameters");
    }

    @Test
    void modelSelectionKeepsTheBestValidatedParameters() {
        try (Model m = model()) {
            // A validation that prefers the second epoch whatever the network does.
            int[] calls = {0};
            byte[][] atSecond = new byte[1][];
            TrainingLoop.Validation v = net -> {
                calls[0]++;
                if (calls[0] == 2) {
                    atSecond[0] = TrainingLoop.parameterBytes(m.getBlock());
                    return 1.0;
                }
                return 0.5;
            };
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, TrainingSchedule.adamCosine(4, 0.01, 1),
                    new Regression(5, 8), v, ProgressListener.NONE);
            assertEquals(4, calls[0]);
            assertEquals(2, r.bestEpoch());
            assertEquals(1.0, r.bestScore());
            assertArrayEquals(atSecond[0], TrainingLoop.parameterBytes(m.getBlock()));
        }
    }

    @Test
    void earlyStoppingStopsAfterPatienceValidationsWithoutImprovement() {
        try (Model m = model()) {
            int[] calls = {0};
            byte[][] atSecond = new byte[1][];
            TrainingLoop.Validation v = net -> {
                calls[0]++;
                if (calls[0] == 2) {
                    atSecond[0] = TrainingLoop.parameterBytes(m.getBlock());
                    return 1.0;
                }
                return 0.5;
            };
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, TrainingSchedule.adamCosine(10, 0.01, 1),
                    new TrainingControl(2, null, 1), new Regression(5, 8), v, ProgressListener.NONE);
            // Best at epoch 2; epochs 3 and 4 do not improve: stop after epoch 4 and keep epoch 2.
            assertEquals(4, r.epochs().size());
            assertEquals(2, r.bestEpoch());
            assertArrayEquals(atSecond[0], TrainingLoop.parameterBytes(m.getBlock()));
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainingControl(-1, null, 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingControl(0, null, 0));
    }

    /** Fails on its {@code failAt}-th batch: a crash in the middle of training. */
    static final class Crashing implements TrainingLoop.Task {
        final Regression inner;
        final int failAt;
        int calls;

        Crashing(Regression inner, int failAt) {
            this.inner = inner;
            this.failAt = failAt;
        }

        @Override
        public int stepsPerEpoch() {
            return inner.stepsPerEpoch();
        }

        @Override
        public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
            if (++calls == failAt) {
                throw new IllegalStateException("simulated crash");
            }
            return inner.nextBatch(scope, random);
        }

        @Override
        public NDArray loss(NDList predictions, NDList labels) {
            return inner.loss(predictions, labels);
        }
    }

    @Test
    void anInterruptedRunResumesFromItsLastCheckpoint(@TempDir Path dir) throws IOException {
        TrainingSchedule s = TrainingSchedule.adamCosine(8, 0.01, 4);
        TrainingControl control = new TrainingControl(0, dir, 2);
        double firstLoss;
        byte[] checkpointed;
        try (Model m = model()) {
            // 20 steps per epoch: the 101st batch is in epoch 6, after the checkpoint of epoch 4.
            assertThrows(IllegalStateException.class, () -> TrainingLoop.fit(m, INPUT, s, control,
                    new Crashing(new Regression(20, 32), 101), null, ProgressListener.NONE));
            checkpointed = Files.readAllBytes(dir.resolve("checkpoint.params"));
        }
        try (Model m = model()) {
            TrainingLoop.Result once = TrainingLoop.fit(m, INPUT, s, new Regression(20, 32), null,
                    ProgressListener.NONE);
            firstLoss = once.firstLoss();
        }
        Path copy = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-copy"));
        for (String f : new String[] {"checkpoint.json", "checkpoint.params"}) {
            Files.copy(dir.resolve(f), copy.resolve(f));
        }
        try (Model m = model()) {
            // Another schedule: the checkpoint is not this run's and is ignored.
            TrainingLoop.Result other = TrainingLoop.fit(m, INPUT, TrainingSchedule.adamCosine(2, 0.01, 4),
                    new TrainingControl(0, copy, 100), new Regression(20, 32), null, ProgressListener.NONE);
            assertEquals(1, other.epochs().get(0).epoch());
        }
        try (Model m = model()) {
            int[] validations = {0};
            byte[][] start = new byte[1][];
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, s, control, new Regression(20, 32), net -> {
                validations[0]++;
                return 0;
            }, ProgressListener.NONE);
            assertEquals(5, r.epochs().get(0).epoch(), "resumes after the checkpointed epoch 4");
            assertEquals(4, r.epochs().size());
            assertEquals(160, r.steps());
            // Continuing a trained network: the resumed first epoch is far below a fresh run's first epoch.
            assertTrue(r.firstLoss() < 0.5 * firstLoss, r.firstLoss() + " vs fresh " + firstLoss);
            assertFalse(Files.exists(dir.resolve("checkpoint.params")), "removed when training completes");
            assertEquals(4, validations[0]);
            assertTrue(checkpointed.length > 0);
        }
    }

    @Test
    void aTimeBudgetStopsTrainingAndStillDecaysTheRate() {
        try (Model m = model()) {
            TrainingSchedule s = TrainingSchedule.adamCosine(1_000_000, 0.01, 1).withMaxMinutes(0.02);
            long t0 = System.nanoTime();
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, s, new Regression(50, 8), null, ProgressListener.NONE);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 10, "stopped after " + seconds + " s");
            assertTrue(r.seconds() >= 1.2 - 0.05, "ran until the budget: " + r.seconds());
            double lastRate = r.epochs().get(r.epochs().size() - 1).learningRate();
            assertTrue(lastRate < 0.002, "rate decayed with time: " + lastRate);
        }
    }

    @Test
    void liveArraysDoNotGrowOverThousandsOfSteps() {
        try (Model m = model()) {
            // The validation hook runs after every epoch; it counts the arrays alive in the model's manager.
            List<Integer> live = new java.util.ArrayList<>();
            TrainingLoop.Validation count = net -> {
                live.add(m.getNDManager().getManagedArrays().size());
                return 0;
            };
            TrainingLoop.fit(m, INPUT, TrainingSchedule.adamCosine(30, 0.01, 1), new Regression(100, 4), count,
                    ProgressListener.NONE);
            assertEquals(30, live.size());
            // After the first epoch the optimizer state exists; from then on the count must stay put.
            int reference = live.get(1);
            for (int i = 1; i < live.size(); i++) {
                assertEquals(reference, live.get(i), "live arrays per epoch (100 steps each): " + live);
            }
            assertTrue(reference < 100, "only parameters, gradients and optimizer state stay: " + reference);
        }
    }

    @Test
    void schedulesFollowTheirFormulas() {
        TrainingSchedule c = TrainingSchedule.adamCosine(10, 1.0, 0);
        assertEquals(1.0, c.learningRateAt(0), 1e-12);
        assertEquals(0.01 + 0.99 * 0.5, c.learningRateAt(0.5), 1e-12);
        assertEquals(0.01, c.learningRateAt(1), 1e-12);
        TrainingSchedule ms = c.withMultiStep(List.of(0.8, 0.9), 0.2);
        assertEquals(1.0, ms.learningRateAt(0.79), 1e-12);
        assertEquals(0.2, ms.learningRateAt(0.8), 1e-12);
        assertEquals(0.04, ms.learningRateAt(0.95), 1e-12);
        assertEquals(0.5, c.progress(50, 10, 0), 1e-12);
        assertEquals(0.75, c.withMaxMinutes(1).progress(50, 10, 45), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> c.withMultiStep(List.of(0.9, 0.8), 0.2));
        assertThrows(IllegalArgumentException.class, () -> TrainingSchedule.adamCosine(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> TrainingSchedule.adamCosine(1, -1, 0));
    }

    @Test
    void adamBetasAreValidatedAndUsed() {
        TrainingSchedule c = TrainingSchedule.adamCosine(10, 1.0, 0);
        assertEquals(0.9, c.beta1());
        assertEquals(0.999, c.beta2());
        for (double bad : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> c.withAdamBetas(bad, 0.999));
            assertTrue(e1.getMessage().contains("beta1"), e1.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> c.withAdamBetas(0.5, bad));
            assertTrue(e2.getMessage().contains("beta2"), e2.getMessage());
        }
        // One weight w (a bias-free 1 -> 1 linear layer on the input 1), loss w^2 / 2, so the gradient is w.
        // Three Adam steps with beta1 0.5 and beta2 0.9, computed here in plain Java:
        // m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, w -= lr m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps).
        TrainingSchedule s = new TrainingSchedule(1, 0, TrainingSchedule.Optimizer.ADAM, 0.1,
                TrainingSchedule.Decay.CONSTANT, List.of(), 0.1, 0.01, 0, 0.9, 1, 4).withAdamBetas(0.5, 0.9);
        TrainingLoop.Task task = new TrainingLoop.Task() {
            @Override
            public int stepsPerEpoch() {
                return 3;
            }

            @Override
            public TrainingLoop.Batch nextBatch(NDManager scope, Random random) {
                return new TrainingLoop.Batch(new NDList(scope.ones(new Shape(1, 1))), new NDList());
            }

            @Override
            public NDArray loss(NDList predictions, NDList labels) {
                return predictions.singletonOrThrow().square().sum().div(2);
            }
        };
        try (Model m = Model.newInstance("one-weight", Device.cpu())) {
            Block block = Linear.builder().setUnits(1).optBias(false).build();
            m.setBlock(block);
            TrainingLoop.initialize(block, m.getNDManager(), 4, new Shape(1, 1));
            double w = block.getParameters().get(0).getValue().getArray().getFloat();
            TrainingLoop.fit(m, new Shape[] {new Shape(1, 1)}, s, task, null, ProgressListener.NONE);
            double mean = 0;
            double var = 0;
            for (int t = 1; t <= 3; t++) {
                mean = 0.5 * mean + 0.5 * w;
                var = 0.9 * var + 0.1 * w * w;
                w -= 0.1 * (mean / (1 - Math.pow(0.5, t))) / (Math.sqrt(var / (1 - Math.pow(0.9, t))) + 1e-8);
            }
            assertEquals(w, block.getParameters().get(0).getValue().getArray().getFloat(), 1e-5);
        }
    }

    @Test
    void sgdAlsoTrains() {
        try (Model m = model()) {
            TrainingSchedule s = TrainingSchedule.adamCosine(10, 0.05, 2)
                    .withOptimizer(TrainingSchedule.Optimizer.SGD, 0.9);
            TrainingLoop.Result r = TrainingLoop.fit(m, INPUT, s, new Regression(20, 32), null, ProgressListener.NONE);
            assertTrue(r.lastLoss() < 0.5 * r.firstLoss(), r.firstLoss() + " -> " + r.lastLoss());
        }
    }
}
