package dev.anomalysdk.bench.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Debian's {@code chromium} headless to render a page and dump its DOM. Chromium is required: CI
 * ({@code .ci/run}) installs it. Locally, set {@code AD_SKIP_BROWSER_TESTS=1} to skip browser tests instead
 * of failing when it is missing.
 */
final class HeadlessChromium {
    private HeadlessChromium() {}

    static String executable() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        if ("1".equals(System.getenv("AD_SKIP_BROWSER_TESTS"))) {
            Assumptions.abort("chromium not installed and AD_SKIP_BROWSER_TESTS=1");
        }
        throw new AssertionError("chromium is required to test the HTML report (apt-get install -y chromium; "
                + ".ci/run installs it); set AD_SKIP_BROWSER_TESTS=1 to skip locally");
    }

    /** Loads the page, lets its scripts run, and returns the serialized DOM. */
    static String dumpDom(Path page, Path scratch) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(scratch, "chromium-profile");
        Path stdout = scratch.resolve("chromium-dom.html");
        Path stderr = scratch.resolve("chromium-stderr.txt");
        Process p = new ProcessBuilder(executable(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom",
                page.toUri().toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 90 s; stderr: " + Files.readString(stderr));
        }
        String dom = Files.readString(stdout, StandardCharsets.UTF_8);
        if (p.exitValue() != 0 || dom.isBlank()) {
            throw new AssertionError("chromium exited with " + p.exitValue() + "; stderr: " + Files.readString(stderr));
        }
        return dom;
    }
}
