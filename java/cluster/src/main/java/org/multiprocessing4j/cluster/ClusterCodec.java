package org.multiprocessing4j.cluster;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.cluster.internal.Wire;

/** Encoding of queue elements and dict keys and values: {@code byte[]} in Hazelcast. */
final class ClusterCodec {
    private final Codec codec;

    ClusterCodec(Codec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** @throws IllegalArgumentException (cause: the {@link CodecException}) if it cannot be encoded */
    byte[] encode(Object value) {
        Objects.requireNonNull(value, "null is not allowed");
        try {
            return Wire.encodeValue(codec, value);
        } catch (CodecException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getName() + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code null} for {@code null}; @throws UncheckedIOException if it cannot be decoded */
    Object decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return codec.decode(MemorySegment.ofArray(bytes));
        } catch (CodecException e) {
            throw new UncheckedIOException(e);
        }
    }
}
