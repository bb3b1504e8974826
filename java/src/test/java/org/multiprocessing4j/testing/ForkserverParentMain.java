package org.multiprocessing4j.testing;

import java.time.Duration;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;

/**
 * A parent program for {@code ForkserverChildProcessTest}: warms up a forkserver with two idle
 * JVMs, starts a child that sleeps, waits until the pool has refilled, prints
 * {@code child <pid>} and the pids of its children ({@code idle <pid>}), then either returns
 * from main ({@code exit}) or sleeps until it is killed ({@code sleep}).
 */
public final class ForkserverParentMain {
    private ForkserverParentMain() {
    }

    public static void main(String[] args) throws Exception {
        Multiprocessing ctx = Multiprocessing.context("forkserver").withIdleChildren(2);
        if (!ctx.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the forkserver did not warm up");
        }
        ChildProcess child = ctx.process(() -> Thread.sleep(600_000)).setDaemon(true);
        child.start();
        if (!ctx.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the forkserver did not refill");
        }
        System.out.println("child " + child.pid());
        ProcessHandle.current().children().filter(h -> h.pid() != child.pid())
                .forEach(h -> System.out.println("idle " + h.pid()));
        System.out.println("ready");
        System.out.flush();
        if (args[0].equals("sleep")) {
            Thread.sleep(600_000);
        }
    }
}
