package dev.anomalysdk.bench.cli;

import dev.anomalysdk.core.DetectorProvider;
import dev.anomalysdk.core.Detectors;
import dev.anomalysdk.core.config.Param;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ad list}: the registered detectors and, for one detector, its parameters. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the detectors, or the parameters (--set keys) of one detector.")
final class ListCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "DETECTOR", description = "Show this detector's parameters.")
    String detector;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (detector == null) {
            for (String name : Detectors.names()) {
                out.printf("%-22s %s%n", name, Detectors.provider(name).description());
            }
            return 0;
        }
        DetectorProvider p = Detectors.provider(detector);
        out.println(p.name() + ": " + p.description());
        for (Param<?> param : p.params()) {
            out.printf("  %-20s %s%n  %-20s default: %s; %s%n", param.key(), param.description(), "",
                    param.defaultValue(), param.ruleText());
        }
        return 0;
    }
}
