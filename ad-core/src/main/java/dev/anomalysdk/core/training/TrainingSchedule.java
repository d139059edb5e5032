package dev.anomalysdk.core.training;

import java.util.List;
import java.util.Locale;

/**
 * How long and how a network is trained: length (epochs, and optionally a wall-clock limit), optimizer,
 * learning rate and its decay, weight decay, how often to validate, and the seed. Immutable and validated;
 * derive variants with the {@code with...} methods.
 *
 * <p><b>Progress.</b> Training progress {@code p} in [0, 1] is the larger of the fraction of steps done
 * ({@code step / (epochs * stepsPerEpoch)}) and, when {@code maxMinutes > 0}, the fraction of the time
 * budget used. Training stops when {@code p} reaches 1, so with a time budget the learning-rate schedule
 * (which is a function of {@code p}) still decays to its end however fast the machine is. A time-limited
 * run is not reproducible step for step (the machine's speed decides where it stops); for bit-identical
 * models per seed use {@code maxMinutes = 0}.
 *
 * @param epochs most epochs (passes as the task defines them), at least 1
 * @param maxMinutes wall-clock budget in minutes, or 0 for none
 * @param optimizer the update rule
 * @param learningRate the initial (peak) learning rate
 * @param decay how the learning rate falls with progress
 * @param milestones for {@link Decay#MULTI_STEP}: progress fractions in (0, 1) where the rate is multiplied
 *     by {@code gamma}, ascending
 * @param gamma factor applied at each milestone (multi-step)
 * @param minLearningRateFraction for {@link Decay#COSINE}: the rate at the end, as a fraction of the initial
 * @param weightDecay L2 weight decay given to the optimizer (0 for none)
 * @param momentum SGD momentum (ignored by Adam)
 * @param validateEveryEpochs run the validation every this many epochs (and after the last)
 * @param seed seeds weight initialization and, through the task, batch sampling
 * @param beta1 Adam's decay rate of the gradient mean, in [0, 1) (ignored by SGD)
 * @param beta2 Adam's decay rate of the squared-gradient mean, in [0, 1) (ignored by SGD)
 */
public record TrainingSchedule(int epochs, double maxMinutes, Optimizer optimizer, double learningRate, Decay decay,
        List<Double> milestones, double gamma, double minLearningRateFraction, double weightDecay, double momentum,
        int validateEveryEpochs, long seed, double beta1, double beta2) {
    /** Adam's default {@code beta1}. */
    public static final double DEFAULT_BETA1 = 0.9;
    /** Adam's default {@code beta2}. */
    public static final double DEFAULT_BETA2 = 0.999;

    /** The update rule. */
    public enum Optimizer {
        /** Adam (epsilon 1e-8; betas from the schedule, 0.9 and 0.999 by default). */
        ADAM,
        /** Stochastic gradient descent with momentum. */
        SGD
    }

    /** Learning rate as a function of training progress {@code p} in [0, 1]. */
    public enum Decay {
        /** The initial rate throughout. */
        CONSTANT,
        /** {@code lr * (f + (1 - f) * (1 + cos(pi * p)) / 2)} with {@code f = minLearningRateFraction}. */
        COSINE,
        /** {@code lr * gamma^k} where {@code k} is the number of milestones {@code <= p} (DRAEM: 0.8, 0.9). */
        MULTI_STEP
    }

    /** Validates the fields. */
    public TrainingSchedule {
        if (epochs < 1) {
            throw new IllegalArgumentException("Invalid epochs: " + epochs + " (at least 1)");
        }
        if (!(maxMinutes >= 0) || Double.isInfinite(maxMinutes)) {
            throw new IllegalArgumentException("Invalid maxMinutes: " + maxMinutes + " (0 for no limit, or > 0)");
        }
        if (optimizer == null || decay == null) {
            throw new IllegalArgumentException("optimizer and decay are required");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("Invalid learning rate: " + learningRate);
        }
        milestones = List.copyOf(milestones);
        double last = 0;
        for (double m : milestones) {
            if (!(m > last) || m >= 1) {
                throw new IllegalArgumentException("Invalid milestones " + milestones
                        + " (ascending fractions of training in (0, 1))");
            }
            last = m;
        }
        if (!(gamma > 0) || gamma > 1) {
            throw new IllegalArgumentException("Invalid gamma: " + gamma + " (in (0, 1])");
        }
        if (!(minLearningRateFraction >= 0) || minLearningRateFraction > 1) {
            throw new IllegalArgumentException("Invalid minLearningRateFraction: " + minLearningRateFraction);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("Invalid weight decay: " + weightDecay);
        }
        if (!(momentum >= 0) || momentum >= 1) {
            throw new IllegalArgumentException("Invalid momentum: " + momentum + " (in [0, 1))");
        }
        if (validateEveryEpochs < 1) {
            throw new IllegalArgumentException("Invalid validateEveryEpochs: " + validateEveryEpochs);
        }
        if (!(beta1 >= 0) || beta1 >= 1) {
            throw new IllegalArgumentException("Invalid beta1: " + beta1 + " (in [0, 1))");
        }
        if (!(beta2 >= 0) || beta2 >= 1) {
            throw new IllegalArgumentException("Invalid beta2: " + beta2 + " (in [0, 1))");
        }
    }

    /** A schedule with Adam's default betas (0.9, 0.999); see the record's components. */
    public TrainingSchedule(int epochs, double maxMinutes, Optimizer optimizer, double learningRate, Decay decay,
            List<Double> milestones, double gamma, double minLearningRateFraction, double weightDecay, double momentum,
            int validateEveryEpochs, long seed) {
        this(epochs, maxMinutes, optimizer, learningRate, decay, milestones, gamma, minLearningRateFraction, weightDecay,
                momentum, validateEveryEpochs, seed, DEFAULT_BETA1, DEFAULT_BETA2);
    }

    /**
     * @return Adam with cosine decay to 1 % of {@code learningRate}, no time limit, validation every epoch,
     *     no weight decay
     */
    public static TrainingSchedule adamCosine(int epochs, double learningRate, long seed) {
        return new TrainingSchedule(epochs, 0, Optimizer.ADAM, learningRate, Decay.COSINE, List.of(), 0.1, 0.01, 0, 0.9,
                1, seed);
    }

    /** @return this schedule with a wall-clock budget (0 = none) */
    public TrainingSchedule withMaxMinutes(double minutes) {
        return new TrainingSchedule(epochs, minutes, optimizer, learningRate, decay, milestones, gamma,
                minLearningRateFraction, weightDecay, momentum, validateEveryEpochs, seed, beta1, beta2);
    }

    /** @return this schedule with another optimizer and momentum (momentum is used by SGD only) */
    public TrainingSchedule withOptimizer(Optimizer kind, double sgdMomentum) {
        return new TrainingSchedule(epochs, maxMinutes, kind, learningRate, decay, milestones, gamma,
                minLearningRateFraction, weightDecay, sgdMomentum, validateEveryEpochs, seed, beta1, beta2);
    }

    /** @return this schedule with a multi-step decay at the given progress fractions */
    public TrainingSchedule withMultiStep(List<Double> atFractions, double factor) {
        return new TrainingSchedule(epochs, maxMinutes, optimizer, learningRate, Decay.MULTI_STEP, atFractions, factor,
                minLearningRateFraction, weightDecay, momentum, validateEveryEpochs, seed, beta1, beta2);
    }

    /** @return this schedule with another decay (milestones and gamma unchanged) */
    public TrainingSchedule withDecay(Decay kind) {
        return new TrainingSchedule(epochs, maxMinutes, optimizer, learningRate, kind, milestones, gamma,
                minLearningRateFraction, weightDecay, momentum, validateEveryEpochs, seed, beta1, beta2);
    }

    /** @return this schedule with L2 weight decay */
    public TrainingSchedule withWeightDecay(double decayValue) {
        return new TrainingSchedule(epochs, maxMinutes, optimizer, learningRate, decay, milestones, gamma,
                minLearningRateFraction, decayValue, momentum, validateEveryEpochs, seed, beta1, beta2);
    }

    /**
     * @param b1 Adam's {@code beta1}, in [0, 1)
     * @param b2 Adam's {@code beta2}, in [0, 1)
     * @return this schedule with other Adam betas
     */
    public TrainingSchedule withAdamBetas(double b1, double b2) {
        return new TrainingSchedule(epochs, maxMinutes, optimizer, learningRate, decay, milestones, gamma,
                minLearningRateFraction, weightDecay, momentum, validateEveryEpochs, seed, b1, b2);
    }

    /** @return this schedule validating every {@code n} epochs */
    public TrainingSchedule withValidateEvery(int n) {
        return new TrainingSchedule(epochs, maxMinutes, optimizer, learningRate, decay, milestones, gamma,
                minLearningRateFraction, weightDecay, momentum, n, seed, beta1, beta2);
    }

    /**
     * @param progress training progress in [0, 1] (clamped)
     * @return the learning rate at that point of the schedule
     */
    public double learningRateAt(double progress) {
        double p = Math.min(1, Math.max(0, progress));
        return switch (decay) {
            case CONSTANT -> learningRate;
            case COSINE -> learningRate * (minLearningRateFraction
                    + (1 - minLearningRateFraction) * 0.5 * (1 + Math.cos(Math.PI * p)));
            case MULTI_STEP -> {
                int k = 0;
                for (double m : milestones) {
                    if (p >= m) {
                        k++;
                    }
                }
                yield learningRate * Math.pow(gamma, k);
            }
        };
    }

    /**
     * @param step optimizer steps done
     * @param stepsPerEpoch steps in one epoch
     * @param elapsedSeconds wall-clock time since training began
     * @return training progress in [0, 1] (see the class description)
     */
    public double progress(long step, int stepsPerEpoch, double elapsedSeconds) {
        double p = step / ((double) epochs * stepsPerEpoch);
        if (maxMinutes > 0) {
            p = Math.max(p, elapsedSeconds / (60 * maxMinutes));
        }
        return Math.min(1, p);
    }

    @Override
    public String toString() {
        String betas = optimizer == Optimizer.ADAM && (beta1 != DEFAULT_BETA1 || beta2 != DEFAULT_BETA2)
                ? String.format(Locale.ROOT, " (betas %s, %s)", beta1, beta2) : "";
        return String.format(Locale.ROOT, "%s%s lr %.3g %s, %d epochs%s, seed %d", optimizer, betas, learningRate,
                decay.name().toLowerCase(Locale.ROOT), epochs,
                maxMinutes > 0 ? String.format(Locale.ROOT, " or %.1f min", maxMinutes) : "", seed);
    }
}
