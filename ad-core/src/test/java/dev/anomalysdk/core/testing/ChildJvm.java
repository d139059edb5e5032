package dev.anomalysdk.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running a {@code main} class of the test classpath, for tests that must really kill a process
 * or cap its heap. Its standard output is read line by line; its standard error goes to a file shown when
 * the test needs it.
 */
public final class ChildJvm implements AutoCloseable {
    /** Longest wait for a line or an exit: a guard against a hung child, not a speed requirement. */
    private static final long TIMEOUT_SECONDS = 120;

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child was killed: its output simply ends
            }
        }, "child-jvm-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} in a new JVM with this JVM's class path and DJL's offline switch.
     *
     * @param main a class with a {@code main} method on the test class path
     * @param jvmOptions extra options, e.g. {@code -Xmx64m}
     * @param stderr where the child's standard error goes
     * @param args the program's arguments
     */
    public static ChildJvm start(Class<?> main, List<String> jvmOptions, Path stderr, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dai.djl.offline=true");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        return new ChildJvm(p, stderr);
    }

    /** Sends a line to the child's standard input. */
    public void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** @return the next line the child printed, waiting for it; fails when the child ends or hangs first */
    public String nextLine() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(50, TimeUnit.MILLISECONDS);
            if (line != null) {
                return line;
            }
            if (!process.isAlive() && lines.isEmpty()) {
                // the reader thread may still be draining the pipe
                line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    return line;
                }
                throw new IllegalStateException("Child JVM exited with " + process.exitValue()
                        + " before printing a line; its stderr:\n" + stderr());
            }
        }
        throw new IllegalStateException("Child JVM printed nothing for " + TIMEOUT_SECONDS + " s; its stderr:\n"
                + stderr());
    }

    /** Kills the child with SIGKILL (no shutdown hooks, no finally blocks) and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Child JVM survived SIGKILL");
        }
    }

    /** @return the lines printed and not yet taken, once the child has ended */
    public List<String> remainingLines() throws InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("Child JVM still running");
        }
        reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        List<String> out = new ArrayList<>();
        lines.drainTo(out);
        return out;
    }

    /** @return the exit code once the child ends by itself */
    public int waitForExit() throws InterruptedException {
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("Child JVM did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return process.exitValue();
    }

    /** @return what the child wrote to standard error so far */
    public String stderr() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
