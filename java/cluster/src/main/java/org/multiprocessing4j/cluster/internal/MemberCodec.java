package org.multiprocessing4j.cluster.internal;

import java.util.Objects;
import org.multiprocessing4j.Codec;

/**
 * The codec a member JVM decodes tasks and encodes results with: {@link Codec#defaults()} (its
 * deserialization filter limits, plus the JVM-wide {@code jdk.serialFilter} if the member JVM
 * sets one) unless the member's program set another before the first task. Thread-safe.
 */
public final class MemberCodec {
    private static volatile Codec codec = Codec.defaults();

    private MemberCodec() {
    }

    /** {@return the codec of this member JVM} */
    public static Codec get() {
        return codec;
    }

    /**
     * Sets the codec of this member JVM.
     *
     * @param c the codec
     */
    public static void set(Codec c) {
        codec = Objects.requireNonNull(c, "codec");
    }
}
