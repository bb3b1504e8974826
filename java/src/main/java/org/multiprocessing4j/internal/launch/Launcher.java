package org.multiprocessing4j.internal.launch;

import java.io.IOException;
import java.util.List;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.task.TaskStreams;

/**
 * One launcher per start method, one small protocol (CPython's {@code Popen} classes): a launcher
 * turns a {@link Spec} into a running child and hands back its pid, its exit sentinel and the
 * channel over which the child reports how its task ended.
 */
public interface Launcher {

    /** {@return the launcher for a start method accepted by {@link Multiprocessing#context(String)}} */
    static Launcher forMethod(String startMethod) {
        if (startMethod.equals("spawn")) {
            return SpawnLauncher.INSTANCE;
        }
        if (startMethod.equals("forkserver")) {
            return ForkserverLauncher.INSTANCE;
        }
        throw new UnsupportedOperationException("no launcher for start method '" + startMethod + "'");
    }

    /**
     * Starts a child.
     *
     * @throws IOException if it cannot be started; nothing is left behind
     */
    Launched launch(Spec spec) throws IOException;

    /**
     * What to start.
     *
     * @param preload classes an idle forkserver child loads ahead of time
     * @param idleChildren how many idle children the forkserver keeps ready for this configuration
     * @param maxIdleChildren the most idle children (warm or starting) the forkserver keeps for
     *     this configuration when starts come faster than one becomes warm
     * @param taskClasses the loadable classes the task's code lives in (for a lambda: the class
     *     that wrote it), which later idle forkserver children link ahead of time
     */
    record Spec(String name, int[] identity, boolean daemon, TaskStreams.Encoded task,
                List<String> jvmOptions, List<String> preload, int idleChildren,
                int maxIdleChildren, List<String> taskClasses) {
    }

    /** How a child's task ended, as the child reported it before exiting. */
    record Report(int signal, String failure, Throwable cause) {
        static final Report NONE = new Report(0, null, null);
    }

    /** A started child. */
    interface Launched extends AutoCloseable {
        /** {@return the pid} */
        int pid();

        /** {@return a descriptor that is readable once the child has ended} */
        Descriptor sentinel();

        /**
         * Reads what the child reported; call after the child was reaped. Never blocks: reads
         * only what the child wrote before it died, even when another process still holds the
         * child's end of the channel.
         */
        Report collectReport();

        /** Releases the descriptors; idempotent. */
        @Override
        void close();
    }
}
