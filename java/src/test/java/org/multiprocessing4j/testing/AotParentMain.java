package org.multiprocessing4j.testing;

import java.time.Duration;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.Pipe;

/**
 * A parent program for {@code AotCacheTest}, run from jars: builds the AOT cache if asked
 * ({@code warm}), then starts a child that sends back its JVM arguments; prints
 * {@code warm <result>}, {@code child-args <arguments>} and {@code exit <code>}.
 */
public final class AotParentMain {
    private AotParentMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("warm")) {
            System.out.println("warm " + Multiprocessing.context().warmUp(Duration.ofSeconds(90)));
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
}
