package org.multiprocessing4j;

import java.io.ObjectInputFilter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.multiprocessing4j.internal.codec.DefaultCodec;
import org.multiprocessing4j.internal.codec.FilterSettings;

/**
 * Turns the values sent between processes into bytes and back: the messages of a
 * {@code Connection}, the items of a {@code SharedQueue}, the task and result of a child.
 *
 * <p>An implementation must be thread-safe: one codec serves every thread of a process. The
 * encoded form must be decodable in another JVM that has the same classes and an equivalent
 * codec; it need not be stable across library versions unless the implementation says so.
 *
 * <p>{@link #defaults()} is the built-in codec: fast paths with no Java serialization for
 * {@code null}, {@code byte[]}, {@code String}, the boxed primitives, {@link MemorySegment} and
 * {@code Serializable} records whose components are all of those types (but
 * {@code MemorySegment}) or such records, and Java serialization for everything else. Decoding a
 * record or a serialized value always goes through an {@link ObjectInputFilter} (limits on
 * depth, references, array length and stream size, an optional allow-list, and the JVM-wide
 * filter if one is set); a record is built by its canonical constructor. {@link #builder()} configures
 * that filter. Faster or more compact codecs plug in by implementing this interface.
 */
public interface Codec {

    /**
     * Encodes {@code value} by appending its bytes to {@code out}. Called in the caller's thread.
     * If the value cannot be encoded, throws {@link CodecException} and leaves {@code out} as it
     * was before the call (its size is restored), so nothing half-written is ever sent.
     *
     * @param value the value to encode; may be {@code null} if the codec supports it (the default
     *     codec does)
     * @param out where the bytes are appended
     * @throws CodecException if the value cannot be encoded (for example it is not serializable),
     *     or {@code out} would exceed its maximum capacity; {@code out} is then unchanged
     * @throws IllegalStateException if {@code out} is closed
     */
    void encode(Object value, ByteSink out) throws CodecException;

    /**
     * Decodes one value from exactly the bytes of {@code in}: all of them, and no more. The
     * segment is valid only during the call; the returned value never refers to it (copy what
     * is kept).
     *
     * @param in the encoded bytes of one value, as produced by {@link #encode}
     * @return the decoded value, possibly {@code null}
     * @throws CodecException if the bytes are malformed or truncated, have trailing bytes, name a
     *     class that cannot be loaded, or are rejected by a deserialization filter
     */
    Object decode(MemorySegment in) throws CodecException;

    /**
     * Returns the default codec, with the default filter limits
     * ({@link Builder#DEFAULT_MAX_DEPTH}, {@link Builder#DEFAULT_MAX_REFERENCES},
     * {@link Builder#DEFAULT_MAX_ARRAY_LENGTH}), no allow-list, and classes resolved by the
     * thread context class loader if set, else by the loader of this library.
     * Its wire format is documented, with its tag table, on
     * {@code org.multiprocessing4j.internal.codec.DefaultCodec}.
     *
     * @return the shared, thread-safe default codec
     */
    static Codec defaults() {
        return DefaultCodec.DEFAULTS;
    }

    /**
     * Returns a builder for a default codec with a custom deserialization filter.
     *
     * @return a new builder, initially equal to {@link #defaults()}
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Configures the deserialization filter of the default codec. Any limit may be raised or
     * lowered; the JVM-wide filter ({@link ObjectInputFilter.Config#getSerialFilter()}), when
     * set, is always consulted in addition and can only reject more.
     *
     * <p>Not thread-safe; the codec it builds is immutable and thread-safe.
     */
    final class Builder {

        /** Default maximum depth of a deserialized object graph. */
        public static final long DEFAULT_MAX_DEPTH = 64;
        /** Default maximum number of object references in one deserialized value. */
        public static final long DEFAULT_MAX_REFERENCES = 1_000_000;
        /** Default maximum length of one deserialized array (16 Mi elements). */
        public static final long DEFAULT_MAX_ARRAY_LENGTH = 16L << 20;

        private long maxDepth = DEFAULT_MAX_DEPTH;
        private long maxReferences = DEFAULT_MAX_REFERENCES;
        private long maxArrayLength = DEFAULT_MAX_ARRAY_LENGTH;
        private final List<String> allowPatterns = new ArrayList<>();
        private ClassLoader classLoader;

        private Builder() {
        }

        /**
         * Sets the maximum depth of a deserialized object graph (nesting of objects and arrays).
         *
         * @param maxDepth the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxDepth < 1}
         */
        public Builder maxDepth(long maxDepth) {
            this.maxDepth = positive("maxDepth", maxDepth);
            return this;
        }

        /**
         * Sets the maximum number of object references (objects, arrays, strings, class
         * descriptors, back-references) in one deserialized value.
         *
         * @param maxReferences the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxReferences < 1}
         */
        public Builder maxReferences(long maxReferences) {
            this.maxReferences = positive("maxReferences", maxReferences);
            return this;
        }

        /**
         * Sets the maximum length of any one deserialized array.
         *
         * @param maxArrayLength the limit in elements, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxArrayLength < 0}
         */
        public Builder maxArrayLength(long maxArrayLength) {
            if (maxArrayLength < 0) {
                throw new IllegalArgumentException("maxArrayLength < 0: " + maxArrayLength);
            }
            this.maxArrayLength = maxArrayLength;
            return this;
        }

        /**
         * Adds class patterns to the allow-list. Once any pattern is added, deserialization
         * rejects every class not allowed by the list (primitive types and arrays of them are
         * always allowed; an array of objects is judged by its element class). Patterns use the
         * {@code jdk.serialFilter} syntax of {@link ObjectInputFilter.Config#createFilter}:
         * {@code "com.example.Point"}, {@code "com.example.*"} (package),
         * {@code "com.example.**"} (package and subpackages), {@code "java.base/*"} (module),
         * {@code "!com.example.Bad"} (reject). Lambdas additionally need
         * {@code "java.lang.invoke.SerializedLambda"} and their capturing class; boxed numbers
         * need {@code "java.lang.Number"} and their class; {@code ArrayList} and other
         * collections check an {@code Object[]}, so they need {@code "java.lang.Object"}. A
         * rejection message names the class and the pattern to add. Values sent on a fast path
         * ({@code String}, {@code byte[]}, boxed primitives, ...) never reach the filter; records
         * on the record fast path do (each record class, and each {@code byte[]} component with
         * its length), but their {@code String} and boxed components do not.
         *
         * @param patterns one or more patterns; each may itself hold several separated by
         *     {@code ;}
         * @return this builder
         * @throws IllegalArgumentException if a pattern is empty or malformed
         */
        public Builder allow(String... patterns) {
            for (String p : patterns) {
                Objects.requireNonNull(p, "pattern");
                if (p.isBlank()) {
                    throw new IllegalArgumentException("empty allow-list pattern");
                }
                ObjectInputFilter.Config.createFilter(p); // validates the syntax now
                allowPatterns.add(p);
            }
            return this;
        }

        /**
         * Sets the class loader used to resolve deserialized classes when the decoding thread
         * has no context class loader. By default, the loader of this library.
         *
         * @param loader the fallback loader
         * @return this builder
         */
        public Builder classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Builds an immutable, thread-safe default codec with this configuration.
         *
         * @return the codec
         */
        public Codec build() {
            String allow = allowPatterns.isEmpty() ? null : String.join(";", allowPatterns);
            return new DefaultCodec(new FilterSettings(maxDepth, maxReferences, maxArrayLength,
                    allow, classLoader != null ? classLoader : DefaultCodec.class.getClassLoader()));
        }

        private static long positive(String what, long value) {
            if (value < 1) {
                throw new IllegalArgumentException(what + " < 1: " + value);
            }
            return value;
        }
    }
}
