package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.BaseDetector;
import dev.anomalysdk.core.DjlEnvironment;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ad} command line: fit, predict, evaluate, benchmark, demo, list. Errors are printed as one line
 * ({@code ad: error: ...}) with exit code 1; usage errors print the usage with exit code 2.
 */
@Command(name = "ad", mixinStandardHelpOptions = true, versionProvider = AdCommand.Version.class,
        description = "Visual anomaly detection: fit detectors on images of good parts, predict, evaluate.",
        subcommands = {DemoCommand.class, FitCommand.class, PredictCommand.class, EvaluateCommand.class,
            BenchmarkCommand.class,
            ListCommand.class})
public final class AdCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * libtorch's threads per operation for this process: the one place the command line sets them (a
     * detector never does). On a machine busy with other work, fewer threads than cores can be much faster.
     */
    @CommandLine.Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N",
            description = "libtorch threads per operation for the whole process (default: libtorch's choice, "
                    + "one per core)")
    void setThreads(int threads) {
        DjlEnvironment.setThreads(threads);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** @return a command line with the SDK's error handling */
    public static CommandLine commandLine() {
        DjlEnvironment.init();
        CommandLine cl = new CommandLine(new AdCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("ad: error: " + message(ex));
            if (Boolean.getBoolean("ad.debug")) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    static String message(Throwable ex) {
        Throwable t = ex;
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Entry point of {@code bin/ad}. */
    public static void main(String[] args) {
        CommandLine cl = commandLine();
        int code = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        System.exit(code);
    }

    /** Prints the SDK version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"anomaly-sdk " + BaseDetector.sdkVersion()};
        }
    }
}
