package org.multiprocessing4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the machine's CPython interpreters for the interop tests. The pyenv shims on PATH fail
 * for versions that are not pyenv's global one, so every candidate is run to learn its real
 * executable and version.
 */
public final class Pythons {
    private Pythons() {
    }

    private static final Map<String, Optional<String>> FOUND = new ConcurrentHashMap<>();

    /**
     * Returns the real executable for {@code name} ({@code python3}, {@code python3.12}, …): found
     * on PATH or under pyenv's versions and checked by running it; or aborts the calling test
     * (skipped, with the reason printed) when there is none.
     *
     * @param who the test class, for the printed reason
     */
    public static String interpreter(String name, String who) {
        Optional<String> found = FOUND.computeIfAbsent(name, Pythons::find);
        if (found.isEmpty()) {
            String reason = name + " not found on PATH or under pyenv's versions: skipping";
            System.out.println(who + ": " + reason);
            Assumptions.abort(reason);
        }
        return found.get();
    }

    private static Optional<String> find(String name) {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, name));
            }
        }
        String pyenvRoot = System.getenv().getOrDefault("PYENV_ROOT",
                System.getProperty("user.home") + "/.pyenv");
        try (Stream<Path> versions = Files.list(Path.of(pyenvRoot, "versions"))) {
            versions.sorted().forEach(v -> candidates.add(v.resolve("bin").resolve(name)));
        } catch (IOException noPyenv) {
            // no pyenv
        }
        // "python3.12" must really be 3.12; plain "python3" is whatever 3.x it is.
        String wanted = name.startsWith("python3.") ? name.substring("python".length()) : "3.";
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                Optional<String> exe = probe(p, wanted);
                if (exe.isPresent()) {
                    return exe;
                }
            }
        }
        return Optional.empty();
    }

    /** Runs {@code python} to learn its real executable and check its version. */
    private static Optional<String> probe(Path python, String wantedVersion) {
        Path out = null;
        try {
            out = Files.createTempFile("mp4j-python-probe", ".txt");
            Process p = new ProcessBuilder(python.toString(), "-c",
                    "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(out);
            if (p.exitValue() != 0 || lines.size() < 2 || !lines.get(1).startsWith(wantedVersion)
                    || !lines.get(1).startsWith("3.") || lines.get(0).isBlank()) {
                return Optional.empty();
            }
            String exe = lines.get(0).strip();
            return Files.isExecutable(Path.of(exe)) ? Optional.of(exe) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
