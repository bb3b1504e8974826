package org.multiprocessing4j.platform.windows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The pure parts of a spawn on Windows: which handle values go into
 * {@code PROC_THREAD_ATTRIBUTE_HANDLE_LIST}, how the child learns its inherited handles, and the
 * environment block. No native call; thread-safe (stateless).
 *
 * <p><b>Handle list.</b> {@code CreateProcessW} with {@code bInheritHandles = TRUE} and a handle
 * list gives the child exactly the listed handles (each must be inheritable; a value listed twice
 * fails with {@code ERROR_INVALID_PARAMETER}); the values are the same in the child. The list is
 * the request's handles (inheritable duplicates the parent made for this spawn) and the standard
 * handles, without duplicates, {@code NULL} or {@code INVALID_HANDLE_VALUE}.
 *
 * <p><b>Parent.</b> The child finds its creator's pid in {@value #PARENT}.
 *
 * <p><b>Inherited handles.</b> The child finds {@code request.handles()[i]} as the {@code i}-th
 * value of the environment variable {@value #VARIABLE} (decimal, comma-separated), which every
 * spawn sets afresh (an inherited value of the variable is replaced, never extended).
 *
 * <p><b>Environment block.</b> {@code NAME=value} strings each ended by a NUL, the block ended by
 * one more NUL ({@code CREATE_UNICODE_ENVIRONMENT}: UTF-16), sorted by name without regard to
 * case as Windows expects; names compare case-insensitively, so {@code Path} and {@code PATH} are
 * one variable (the later one of the request wins).
 */
final class WindowsSpawnPlan {
    /** The variable that carries the inherited handles' values to the child. */
    static final String VARIABLE = "MP4J_INHERITED_HANDLES";
    /** The variable that carries the parent's pid to the child (Windows keeps no parent link). */
    static final String PARENT = "MP4J_PARENT_PID";

    private WindowsSpawnPlan() {
    }

    /**
     * {@return the values for {@code PROC_THREAD_ATTRIBUTE_HANDLE_LIST}: {@code task} then
     * {@code standard}, each once, without 0 and -1 ({@code NULL}, {@code INVALID_HANDLE_VALUE})}
     */
    static long[] handleList(long[] task, long[] standard) {
        Set<Long> list = new LinkedHashSet<>();
        for (long[] part : new long[][] {task, standard}) {
            for (long v : part) {
                if (v != 0 && v != -1) {
                    list.add(v);
                }
            }
        }
        return list.stream().mapToLong(Long::longValue).toArray();
    }

    /** {@return the value of {@value #VARIABLE} for these handle values, in the child's order} */
    static String encode(long[] handles) {
        StringBuilder s = new StringBuilder();
        for (long h : handles) {
            if (!s.isEmpty()) {
                s.append(',');
            }
            s.append(Long.toUnsignedString(h));
        }
        return s.toString();
    }

    /**
     * {@return the handle values {@code value} (of {@value #VARIABLE}) carries; empty for
     * {@code null} or an empty value}
     *
     * @throws IllegalArgumentException if it is not a comma-separated list of decimal numbers
     */
    static long[] decode(String value) {
        if (value == null || value.isEmpty()) {
            return new long[0];
        }
        String[] parts = value.split(",", -1);
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseUnsignedLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(VARIABLE + " is not a list of handle values: " + value, e);
            }
        }
        return out;
    }

    /**
     * {@return the environment block: {@code environment} with {@value #VARIABLE} set to
     * {@code handles} and {@value #PARENT} to {@code parentPid}, sorted, NUL-separated, ended by
     * two NULs}
     *
     * @param environment {@code NAME=value} each
     * @throws IllegalArgumentException for an entry without {@code =} after its first character,
     *     or one holding a NUL
     */
    static String environmentBlock(List<String> environment, long[] handles, int parentPid) {
        List<String> entries = new ArrayList<>();
        for (String e : environment) {
            int eq = e.indexOf('=', 1);   // a name may start with '=' (=C:=C:\dir)
            if (eq < 1 || e.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("not an environment entry NAME=value: " + e);
            }
            String name = e.substring(0, eq);
            entries.removeIf(x -> nameOf(x).equalsIgnoreCase(name));
            if (!name.equalsIgnoreCase(VARIABLE) && !name.equalsIgnoreCase(PARENT)) {
                entries.add(e);
            }
        }
        entries.add(VARIABLE + "=" + encode(handles));
        entries.add(PARENT + "=" + Integer.toUnsignedString(parentPid));
        String[] sorted = entries.toArray(String[]::new);
        Arrays.sort(sorted, (a, b) -> nameOf(a).toUpperCase(Locale.ROOT).compareTo(nameOf(b).toUpperCase(Locale.ROOT)));
        StringBuilder block = new StringBuilder();
        for (String e : sorted) {
            block.append(e).append('\0');
        }
        return block.append('\0').toString();
    }

    private static String nameOf(String entry) {
        return entry.substring(0, entry.indexOf('=', 1));
    }
}
