package org.multiprocessing4j.platform.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WindowsCommandLine} against Windows' own split: 500 random argument lists (spaces,
 * tabs, newlines, quotes, runs of backslashes, an accented letter, empty arguments) are quoted
 * here and split by the real {@code CommandLineToArgvW} in
 * {@code native/probes/windows/split/argv_split.c}, run under Wine; every list must come back
 * exactly. Needs mingw-w64 and wine64 (skipped without them). Wine's
 * {@code CommandLineToArgvW} follows the documented rules; the JVM's launcher on Windows splits
 * its command line by the same rules for everything this quoting writes (it never writes a
 * {@code ""} inside quotes, where the C runtime and {@code CommandLineToArgvW} differ).
 */
class WindowsCommandLineUnderWineTest {
    private static final Path SOURCE = Path.of("../native/probes/windows/split/argv_split.c");
    private static final String PROGRAM = "C:\\Program Files\\Java\\bin\\java.exe";

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void windowsSplitsEveryQuotedListBackExactly(@TempDir Path dir) throws Exception {
        String wine = wine();
        assumeTrue(onPath("x86_64-w64-mingw32-gcc") && wine != null, "needs mingw-w64 and wine64");
        Path exe = dir.resolve("argv_split.exe");
        run(List.of("x86_64-w64-mingw32-gcc", "-O2", "-o", exe.toString(), SOURCE.toAbsolutePath().toString(), "-lshell32"),
                new byte[0], dir);

        Random random = new Random(1616);
        String[] pieces = {"a", " ", "\t", "\"", "\\", "\\\\", "é", "\n", "x y", "\\\"", ""};
        List<List<String>> lists = new ArrayList<>();
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        for (int round = 0; round < 500; round++) {
            List<String> args = new ArrayList<>();
            for (int n = random.nextInt(5); n > 0; n--) {
                StringBuilder a = new StringBuilder();
                for (int k = random.nextInt(6); k > 0; k--) {
                    a.append(pieces[random.nextInt(pieces.length)]);
                }
                args.add(a.toString());
            }
            lists.add(args);
            input.writeBytes((WindowsCommandLine.of(PROGRAM, args) + "\0").getBytes(StandardCharsets.UTF_16LE));
        }
        List<String> out = run(List.of(wine, exe.toString()), input.toByteArray(), dir);
        assertEquals(lists.size(), out.size(), String.join("\n", out));
        for (int i = 0; i < lists.size(); i++) {
            List<String> expected = new ArrayList<>(List.of(PROGRAM));
            expected.addAll(lists.get(i));
            assertEquals(expected, decode(out.get(i)), "line " + i + ": " + WindowsCommandLine.of(PROGRAM, lists.get(i)));
        }
    }

    private static List<String> decode(String line) {
        String[] f = line.split(" ");
        List<String> args = new ArrayList<>();
        for (int k = 1; k < f.length; k++) {
            if (f[k].equals("-")) {
                args.add("");
                continue;
            }
            byte[] be = HexFormat.of().parseHex(f[k]);
            args.add(new String(be, StandardCharsets.UTF_16BE));
        }
        assertEquals(Integer.parseInt(f[0]), args.size(), line);
        return args;
    }

    /** Runs {@code command} with {@code stdin} to its end (at most 2 minutes); returns its standard output. */
    private static List<String> run(List<String> command, byte[] stdin, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).redirectOutput(dir.resolve("stdout.txt").toFile());
        pb.environment().put("WINEDEBUG", "-all");
        Process p = pb.start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin);
            }
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "timed out: " + command.getFirst());
            assertEquals(0, p.exitValue(), command.getFirst() + " failed: " + Files.readString(dir.resolve("stderr.txt")));
            return Files.readAllLines(dir.resolve("stdout.txt")).stream().map(String::strip).toList();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String wine() {
        if (onPath("wine64")) {
            return "wine64";
        }
        return Files.isExecutable(Path.of("/usr/lib/wine/wine64")) ? "/usr/lib/wine/wine64" : null;
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(java.io.File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
