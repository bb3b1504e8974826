package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void childSendsItsPid() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess p = new ChildProcess(() -> c.send(ChildProcess.currentProcess().pid()))) {
                p.start();
                Object pid = pipe.first().recv();
                p.join();
                assertEquals(p.pid(), pid);
                assertEquals(0, p.exitCode().getAsInt());
            }
        }
    }
}
