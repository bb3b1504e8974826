package org.multiprocessing4j.platform.windows;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;

/**
 * Prints the size and every named field's offset of the generated Win32 struct classes named on
 * the command line, as the generated {@code layout()} computes them. Run by
 * {@link WindowsBindingsLayoutTest} in a JVM started with
 * {@code -Djdk.internal.foreign.CABI=WIN_64}, the JDK's own switch that makes the native linker's
 * canonical layouts those of Windows x64 (so the bindings initialize on Linux; no downcall is
 * made). Output lines: {@code size <kind>:<tag> <bytes>} and
 * {@code offset <kind>:<tag> <member designator> <bytes>} ({@code <kind>} is {@code struct} or
 * {@code union}), where anonymous unions and structs
 * ({@code $anon$...}) are looked through, as C's anonymous members are.
 */
public final class WindowsLayoutDump {
    private WindowsLayoutDump() {
    }

    /**
     * Prints the table.
     *
     * @param args fully qualified names of generated struct classes ({@code ..._OVERLAPPED})
     * @throws ReflectiveOperationException if a class has no {@code layout()}
     */
    public static void main(String[] args) throws ReflectiveOperationException {
        for (String name : args) {
            GroupLayout layout = (GroupLayout) Class.forName(name).getMethod("layout").invoke(null);
            String tag = (layout instanceof StructLayout ? "struct:" : "union:") + layout.name().orElseThrow();
            System.out.println("size " + tag + " " + layout.byteSize());
            members(tag, "", 0, layout);
        }
    }

    private static void members(String tag, String prefix, long base, GroupLayout group) {
        long offset = 0;
        for (MemoryLayout m : group.memberLayouts()) {
            long at = group instanceof StructLayout ? offset : 0;
            if (!(m instanceof PaddingLayout) && m.name().isPresent()) {
                String n = m.name().get();
                boolean anonymous = n.startsWith("$anon$");
                String path = anonymous ? prefix : prefix + n;
                if (!anonymous) {
                    System.out.println("offset " + tag + " " + path + " " + (base + at));
                }
                if (m instanceof GroupLayout g) {
                    members(tag, anonymous ? prefix : path + ".", base + at, g);
                }
            }
            offset += m.byteSize();
        }
    }
}
