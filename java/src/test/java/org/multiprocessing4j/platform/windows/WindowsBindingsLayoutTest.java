package org.multiprocessing4j.platform.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated Win32 struct layouts against the ones {@code x86_64-w64-mingw32-gcc} computes:
 * for every struct class of {@code platform.windows.bindings}, its size and every named field's
 * offset. The Java side is printed by {@link WindowsLayoutDump} in a JVM whose native linker
 * uses the Windows x64 ABI ({@code -Djdk.internal.foreign.CABI=WIN_64}); the C side is one
 * {@code _Static_assert} per number, compiled with {@code -fsyntax-only} against the same
 * umbrella header ({@code native/windows/windows.h}), so gcc itself checks every value and
 * names every value that differs (checked by hand: a wrong offset of {@code STARTUPINFOW.dwX}
 * fails the static assertion). About 230 values over the 21 structs and unions today. Needs
 * mingw-w64 (skipped without it); Wine is not needed. Bindings generated with a 64-bit
 * {@code long} (jextract not told it targets Windows) fail too: their {@code C_LONG} cast
 * fails under the Windows ABI, so the dump JVM exits with an error.
 */
class WindowsBindingsLayoutTest {
    private static final Path BINDINGS = Path.of("src/main/java/org/multiprocessing4j/platform/windows/bindings");
    private static final Path HEADER = Path.of("../native/windows/windows.h");
    private static final String GCC = "x86_64-w64-mingw32-gcc";

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyGeneratedStructMatchesMingwGcc(@TempDir Path dir) throws Exception {
        assumeTrue(onPath(GCC), GCC + " not installed (Debian: mingw-w64)");
        List<String> classes;
        try (Stream<Path> files = Files.list(BINDINGS)) {
            // struct and union tags (_FILETIME, sockaddr_in, …): the typedefs extend them
            classes = files.filter(WindowsBindingsLayoutTest::isStructTag)
                    .map(p -> p.getFileName().toString())
                    .map(f -> "org.multiprocessing4j.platform.windows.bindings." + f.substring(0, f.length() - 5))
                    .sorted().toList();
        }
        assertTrue(classes.size() >= 10, "struct classes found: " + classes);

        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Djdk.internal.foreign.CABI=WIN_64", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), WindowsLayoutDump.class.getName()));
        command.addAll(classes);
        List<String> table = run(command, dir.resolve("dump.txt"));
        long sizes = table.stream().filter(l -> l.startsWith("size ")).count();
        assertEquals(classes.size(), sizes, String.join("\n", table));

        // by path, not -I: the umbrella header's own #include <windows.h> must find mingw's
        StringBuilder c = new StringBuilder("#include \"" + HEADER.toAbsolutePath().normalize() + "\"\n#include <stddef.h>\n");
        for (String line : table) {
            String[] f = line.split(" ");
            if (f[0].equals("size")) {
                c.append("_Static_assert(sizeof(").append(f[1].replace(':', ' ')).append(") == ").append(f[2])
                        .append(", \"").append(line).append("\");\n");
            } else if (f[0].equals("offset")) {
                c.append("_Static_assert(offsetof(").append(f[1].replace(':', ' ')).append(", ").append(f[2]).append(") == ")
                        .append(f[3]).append(", \"").append(line).append("\");\n");
            }
        }
        Path source = dir.resolve("layouts.c");
        Files.writeString(source, c);
        List<String> gcc = run(List.of(GCC, "-fsyntax-only", source.toString()), dir.resolve("gcc.txt"));
        assertTrue(gcc.isEmpty(), "gcc disagrees with the generated layouts:\n" + String.join("\n", gcc));
    }

    /** {@return whether {@code file} is a generated struct or union class of its own (not a typedef, not the header class)} */
    private static boolean isStructTag(Path file) {
        String f = file.getFileName().toString();
        if (!f.endsWith(".java") || f.startsWith("Win32") || f.equals("package-info.java")) {
            return false;
        }
        String name = f.substring(0, f.length() - 5);
        return read(file).contains("public class " + name + " {");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs {@code command} to its end (at most 2 minutes), failing on a non-zero exit; returns its output. */
    private static List<String> run(List<String> command, Path output) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "timed out: " + command.getFirst());
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.startsWith("WARNING:")).toList();
            assertEquals(0, p.exitValue(), command.getFirst() + " failed:\n" + String.join("\n", lines));
            return lines;
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(java.io.File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
