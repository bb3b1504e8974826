package org.multiprocessing4j.testing;

import org.multiprocessing4j.Manager;

/**
 * A program for {@code ManagerTest}: starts a {@link Manager}, prints {@code address <socket path>}
 * and {@code server <pid>}, then waits to be killed.
 */
public final class ManagerKilledMain {
    private ManagerKilledMain() {
    }

    public static void main(String[] args) throws Exception {
        Manager m = Manager.start();
        System.out.println("address " + m.address());
        System.out.println("server " + m.serverPid().getAsInt());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
