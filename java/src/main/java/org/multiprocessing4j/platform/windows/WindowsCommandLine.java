package org.multiprocessing4j.platform.windows;

import java.util.List;

/**
 * The command line of a child: {@code CreateProcessW} takes one string, and the child's C runtime
 * (and {@code CommandLineToArgvW}, which the JVM's launcher follows) splits it back into
 * arguments. This class quotes a list of arguments so that the split gives exactly that list.
 * Pure and stateless: thread-safe, no native call.
 *
 * <p>The rules of the split (Microsoft's "Parsing C command-line arguments"):
 * <ul>
 *   <li>arguments are separated by spaces or tabs outside double quotes;</li>
 *   <li>a double quote opens or closes a quoted part (which may hold spaces);</li>
 *   <li>{@code 2n} backslashes followed by a quote are {@code n} backslashes and the quote opens
 *       or closes; {@code 2n+1} backslashes followed by a quote are {@code n} backslashes and a
 *       literal quote; backslashes not followed by a quote are literal;</li>
 *   <li>the first argument, the program, is split by simpler rules: up to the next quote if it
 *       starts with one, else up to the first space or tab, and backslashes are never escapes.</li>
 * </ul>
 * So every argument is written in quotes when it is empty or holds a space, tab, newline,
 * vertical tab or quote; inside, each quote is preceded by {@code 2n+1} backslashes and the
 * backslashes that end the argument are doubled. The program is always quoted and may not hold
 * a quote. Arguments holding {@code NUL} cannot be passed at all.
 */
final class WindowsCommandLine {
    /** {@code CreateProcessW}'s limit on {@code lpCommandLine}, in UTF-16 units, with its NUL. */
    static final int MAX_LENGTH = 32_767;

    private WindowsCommandLine() {
    }

    /**
     * {@return the command line that the child splits back into {@code program} followed by
     * {@code arguments}}
     *
     * @param program   the executable's path, the child's {@code argv[0]}
     * @param arguments the further arguments, in order
     * @throws IllegalArgumentException if {@code program} is empty or holds a quote, if any
     *         argument holds {@code NUL}, or if the result is longer than {@link #MAX_LENGTH} - 1
     */
    static String of(String program, List<String> arguments) {
        if (program.isEmpty() || program.indexOf('"') >= 0 || program.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a Windows program path may not be empty or hold a quote or NUL: "
                    + program);
        }
        StringBuilder line = new StringBuilder(program.length() + 16 * arguments.size());
        line.append('"').append(program).append('"');
        for (String a : arguments) {
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument holds NUL, which a Windows command line cannot carry");
            }
            line.append(' ');
            append(line, a);
        }
        if (line.length() >= MAX_LENGTH) {
            throw new IllegalArgumentException("command line of " + line.length()
                    + " characters; CreateProcessW takes at most " + (MAX_LENGTH - 1));
        }
        return line.toString();
    }

    private static void append(StringBuilder line, String a) {
        if (!a.isEmpty() && a.chars().noneMatch(c -> c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '"')) {
            line.append(a);
            return;
        }
        line.append('"');
        int backslashes = 0;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\') {
                backslashes++;
                continue;
            }
            if (c == '"') {
                line.repeat('\\', 2 * backslashes + 1);   // n backslashes and a literal quote
            } else {
                line.repeat('\\', backslashes);           // literal backslashes
            }
            backslashes = 0;
            line.append(c);
        }
        line.repeat('\\', 2 * backslashes);               // they now precede the closing quote
        line.append('"');
    }
}
