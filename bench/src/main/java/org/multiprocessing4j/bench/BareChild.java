package org.multiprocessing4j.bench;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;

/**
 * The reference child of {@link ChildStartBench#bareJavaToFirstByte}: a JVM that does nothing but
 * write one byte to its inherited standard output (a pipe to the benchmark) and exit. No
 * multiprocessing4j class, no FFM: what any Java child costs before it does anything.
 */
public final class BareChild {
    private BareChild() {
    }

    public static void main(String[] args) throws IOException {
        FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        out.write(1);
        out.flush();
    }
}
