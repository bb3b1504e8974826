package org.multiprocessing4j.platform.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowsCommandLine} against a reference split that follows Microsoft's documented
 * rules for C command-line arguments ({@link #split}), and against the documented examples.
 * Runs on every OS: the class makes no native call.
 */
class WindowsCommandLineTest {

    @Test
    void documentedExamplesSplitBack() {
        // the examples of Microsoft's "Parsing C command-line arguments" table, as inputs
        List<String> args = List.of("a b c", "d", "e", "ab\"c", "\\", "d", "a\\\\\\b", "de fg", "h",
                "a\\\"b", "c", "d", "a\\\\b c", "d", "e", "a\"b\"\" c d");
        String line = WindowsCommandLine.of("C:\\Program Files\\Java\\bin\\java.exe", args);
        assertEquals(args, split(line).subList(1, args.size() + 1));
        assertEquals("C:\\Program Files\\Java\\bin\\java.exe", split(line).getFirst());
    }

    @Test
    void plainArgumentsAreNotQuoted() {
        assertEquals("\"C:\\j\\java.exe\" -cp C:\\a\\b.jar Main",
                WindowsCommandLine.of("C:\\j\\java.exe", List.of("-cp", "C:\\a\\b.jar", "Main")));
    }

    @Test
    void trailingBackslashesBeforeTheClosingQuoteAreDoubled() {
        assertEquals("\"p\" \"a dir\\\\\"", WindowsCommandLine.of("p", List.of("a dir\\")));
        assertEquals("\"p\" \"\"", WindowsCommandLine.of("p", List.of("")));
        assertEquals("\"p\" \"\\\"\"", WindowsCommandLine.of("p", List.of("\"")));
    }

    @Test
    void randomArgumentsSplitBackExactly() {
        Random random = new Random(16);
        char[] alphabet = {'a', ' ', '\t', '"', '\\', 'é', '\n', 'x', '\\', '"'};
        for (int round = 0; round < 2_000; round++) {
            List<String> args = new ArrayList<>();
            for (int n = random.nextInt(5); n > 0; n--) {
                StringBuilder a = new StringBuilder();
                for (int k = random.nextInt(8); k > 0; k--) {
                    a.append(alphabet[random.nextInt(alphabet.length)]);
                }
                args.add(a.toString());
            }
            String line = WindowsCommandLine.of("C:\\x y\\p.exe", args);
            List<String> back = split(line);
            assertEquals("C:\\x y\\p.exe", back.getFirst(), line);
            assertEquals(args, back.subList(1, back.size()), line);
        }
    }

    @Test
    void whatCannotBePassedIsRefusedAtTheCall() {
        assertThrows(IllegalArgumentException.class, () -> WindowsCommandLine.of("a\"b", List.of()));
        assertThrows(IllegalArgumentException.class, () -> WindowsCommandLine.of("", List.of()));
        assertThrows(IllegalArgumentException.class, () -> WindowsCommandLine.of("p", List.of("a\0b")));
        assertThrows(IllegalArgumentException.class,
                () -> WindowsCommandLine.of("p", List.of("x".repeat(WindowsCommandLine.MAX_LENGTH))));
    }

    /**
     * The documented split: the program up to the next quote (or space/tab); then arguments
     * separated by spaces/tabs outside quotes, {@code 2n} backslashes + quote = {@code n}
     * backslashes and a toggle, {@code 2n+1} = {@code n} backslashes and a literal quote, other
     * backslashes literal. A {@code ""} inside a quoted part (which the quoting never writes) is
     * left to the toggle rule.
     */
    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = line.length();
        if (line.charAt(0) == '"') {
            int end = line.indexOf('"', 1);
            out.add(line.substring(1, end));
            i = end + 1;
        } else {
            while (i < n && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                i++;
            }
            out.add(line.substring(0, i));
        }
        while (true) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
            if (i >= n) {
                return out;
            }
            StringBuilder a = new StringBuilder();
            boolean quoted = false;
            while (i < n) {
                char c = line.charAt(i);
                if (!quoted && (c == ' ' || c == '\t')) {
                    break;
                }
                if (c == '\\') {
                    int k = 0;
                    while (i < n && line.charAt(i) == '\\') {
                        k++;
                        i++;
                    }
                    if (i < n && line.charAt(i) == '"') {
                        a.repeat('\\', k / 2);
                        if (k % 2 == 1) {
                            a.append('"');
                            i++;
                        }
                    } else {
                        a.repeat('\\', k);
                    }
                } else if (c == '"') {
                    quoted = !quoted;
                    i++;
                } else {
                    a.append(c);
                    i++;
                }
            }
            out.add(a.toString());
        }
    }
}
