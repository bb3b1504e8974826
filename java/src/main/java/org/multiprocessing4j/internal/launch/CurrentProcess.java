package org.multiprocessing4j.internal.launch;

import java.util.Optional;
import org.multiprocessing4j.ParentProcess;
import org.multiprocessing4j.ProcessInfo;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.platform.Platform;

/**
 * Who this process is: {@code MainProcess} unless {@link ChildMain} set it up as a child. Written
 * once, before the task runs, then read-only.
 */
public final class CurrentProcess {
    private static volatile int[] identity = new int[0];
    private static volatile ProcessInfo info;
    private static volatile ProcessInfo parent;

    private CurrentProcess() {
    }

    public static int[] identity() {
        return identity;
    }

    public static ProcessInfo info() {
        ProcessInfo i = info;
        if (i == null) {
            i = info = new ProcessInfo("MainProcess", Platform.current().pid(), false);
        }
        return i;
    }

    public static Optional<ProcessInfo> parent() {
        return Optional.ofNullable(parent);
    }

    private static ParentProcess parentProcess; // guarded by CurrentProcess.class

    public static synchronized Optional<ParentProcess> parentProcess() throws java.io.IOException {
        ProcessInfo p = parent;
        if (p == null) {
            return Optional.empty();
        }
        if (parentProcess == null) {
            parentProcess = Access.parentProcess().open(p);
        }
        return Optional.of(parentProcess);
    }

    static void becomeChild(int[] id, ProcessInfo self, ProcessInfo parentInfo) {
        identity = id.clone();
        info = self;
        parent = parentInfo;
    }
}
