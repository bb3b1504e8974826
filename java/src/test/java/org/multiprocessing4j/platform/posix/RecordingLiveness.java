package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link PosixPlatform.Liveness} that does what the backend's own does and records what it was
 * asked: put in place of a platform instance's own ({@link #install}), it shows which calls the
 * platform makes through the seam (tests only).
 */
public final class RecordingLiveness implements PosixPlatform.Liveness {
    private final PosixPlatform.Liveness real;
    /** How many times {@link #processToken} was asked. */
    public final AtomicInteger tokensAsked = new AtomicInteger();
    /** The descriptors {@link #closing} was told of, in order. */
    public final List<Integer> closing = new CopyOnWriteArrayList<>();

    private RecordingLiveness(PosixPlatform.Liveness real) {
        this.real = real;
    }

    /** Puts a recording liveness in place of {@code os}'s own and returns it. */
    public static RecordingLiveness install(PosixPlatform os) throws ReflectiveOperationException {
        Field f = PosixPlatform.class.getDeclaredField("liveness");
        f.setAccessible(true);
        RecordingLiveness r = new RecordingLiveness((PosixPlatform.Liveness) f.get(os));
        f.set(os, r);
        return r;
    }

    @Override
    public long processToken(int pid) {
        tokensAsked.incrementAndGet();
        return real.processToken(pid);
    }

    @Override
    public int openPrivateHandle(int fd) throws IOException {
        return real.openPrivateHandle(fd);
    }

    @Override
    public void place(int handle, long token) throws IOException {
        real.place(handle, token);
    }

    @Override
    public boolean isPlaced(int handle, long token) throws IOException {
        return real.isPlaced(handle, token);
    }

    @Override
    public void closing(int fd) {
        closing.add(fd);
        real.closing(fd);
    }
}
