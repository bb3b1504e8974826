package org.multiprocessing4j;

import java.util.Optional;
import org.multiprocessing4j.platform.Platform;

/**
 * Who this process is: {@code MainProcess} unless {@link ChildMain} set it up as a child. Written
 * once, before the task runs, then read-only.
 */
final class CurrentProcess {
    private static volatile int[] identity = new int[0];
    private static volatile ProcessInfo info;
    private static volatile ProcessInfo parent;

    private CurrentProcess() {
    }

    static int[] identity() {
        return identity;
    }

    static ProcessInfo info() {
        ProcessInfo i = info;
        if (i == null) {
            i = info = new ProcessInfo("MainProcess", Platform.current().pid(), false);
        }
        return i;
    }

    static Optional<ProcessInfo> parent() {
        return Optional.ofNullable(parent);
    }

    private static ParentProcess parentProcess; // guarded by CurrentProcess.class

    static synchronized Optional<ParentProcess> parentProcess() throws java.io.IOException {
        ProcessInfo p = parent;
        if (p == null) {
            return Optional.empty();
        }
        if (parentProcess == null) {
            parentProcess = ParentProcess.open(p);
        }
        return Optional.of(parentProcess);
    }

    static void becomeChild(int[] id, ProcessInfo self, ProcessInfo parentInfo) {
        identity = id.clone();
        info = self;
        parent = parentInfo;
    }
}
