package org.multiprocessing4j.internal;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The one way a region's layout class derives its {@code *_OFFSET} constants: from the named
 * members of the {@link StructLayout} that draws the region (the table in the class comment
 * says the same in words, and a test checks the two against each other). No offset is written
 * as a literal next to a derived one.
 */
public final class Layouts {
    private Layouts() {
    }

    /**
     * {@return the byte offset of the member {@code name} in {@code layout}}
     *
     * @param layout the region's layout
     * @param name the member's name ({@code withName})
     * @throws IllegalArgumentException if {@code layout} has no member of that name (a class
     *     that asks for one fails in its static initializer, at first use)
     */
    public static long offset(StructLayout layout, String name) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
