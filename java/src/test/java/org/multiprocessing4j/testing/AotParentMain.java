package org.multiprocessing4j.testing;

import java.time.Duration;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.Pipe;

/**
 * A parent program for {@code AotCacheTest}, run from jars: builds the AOT cache if asked
 * ({@code warm}), then starts a child that sends back its JVM arguments; prints
 * {@code warm <result>}, {@code child-args <arguments>} and {@code exit <code>}. With
 * {@code forkserver}: the same for a forkserver child that runs from its cache.
 */
public final class AotParentMain {
    private AotParentMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("forkserver")) {
            forkserver();
            return;
        }
        if (args.length > 0 && args[0].startsWith("warm")) { // warm<seconds>: another timeout
            long seconds = args[0].equals("warm") ? 90 : Long.parseLong(args[0].substring(4));
            System.out.println("warm " + Multiprocessing.context().warmUp(Duration.ofSeconds(seconds)));
        }
        try (Pipe pipe = Pipe.open()) {
            var c = pipe.second();
            try (ChildProcess p = new ChildProcess(() -> c.send(String.join(" ",
                    ProcessHandle.current().info().arguments().orElse(new String[0]))))) {
                p.start();
                System.out.println("child-args " + pipe.first().recv());
                p.join();
                System.out.println("exit " + p.exitCode().orElse(-1000));
            }
        }
    }

    /**
     * Starts forkserver children until one runs from an AOT cache (idle children started before
     * the cache was built run without it), for at most 90 s; prints the last one's arguments as
     * {@code child-args}, then {@code exit 0}.
     */
    private static void forkserver() throws Exception {
        Multiprocessing context = Multiprocessing.context("forkserver");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String childArgs = "";
        while (!childArgs.contains("-XX:AOTCache=") && System.nanoTime() < deadline) {
            context.warmUp(Duration.ofSeconds(30));
            try (Pipe pipe = Pipe.open()) {
                var c = pipe.second();
                try (ChildProcess p = context.process(() -> c.send(String.join(" ",
                        ProcessHandle.current().info().arguments().orElse(new String[0]))))) {
                    p.start();
                    childArgs = (String) pipe.first().recv();
                    p.join();
                }
            }
            if (!childArgs.contains("-XX:AOTCache=")) {
                Thread.sleep(500);
            }
        }
        System.out.println("child-args " + childArgs);
        System.out.println("exit 0");
    }
}
