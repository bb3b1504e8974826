package org.multiprocessing4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.multiprocessing4j.ChildProcess;

/**
 * A parent program for {@code ParentDeathTest}: starts a daemonic child that sleeps forever and a
 * non-daemonic child that writes a file after a short sleep, prints both pids, then returns from
 * main. Python's exit rules: the daemon is terminated, the other child is joined.
 */
public final class ExitSemanticsMain {
    private ExitSemanticsMain() {
    }

    public static void main(String[] args) throws Exception {
        String marker = args[0];
        ChildProcess daemon = new ChildProcess(() -> Thread.sleep(600_000)).setDaemon(true);
        ChildProcess worker = new ChildProcess(() -> {
            Thread.sleep(300);
            Files.writeString(Path.of(marker), "done");
        });
        daemon.start();
        worker.start();
        System.out.println("daemon " + daemon.pid());
        System.out.println("worker " + worker.pid());
        System.out.flush();
    }
}
