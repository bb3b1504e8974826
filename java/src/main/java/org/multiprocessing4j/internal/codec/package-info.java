/**
 * The default {@link org.multiprocessing4j.Codec}: fast paths for {@code byte[]},
 * {@code String}, boxed primitives, {@code MemorySegment} and eligible records (built through
 * their canonical constructors), and Java serialization for the rest, always decoded behind an
 * {@link java.io.ObjectInputFilter}. The wire format, with its tag table, is documented on
 * {@link org.multiprocessing4j.internal.codec.DefaultCodec}.
 *
 * <p>Trust: decoding never runs Java deserialization unfiltered. A SERIALIZED value goes through
 * the codec's limits, its optional allow-list and the JVM-wide filter; a RECORD value's classes
 * and arrays go through the same filter, all of them before any record is constructed. Classes
 * resolve through the thread's context loader, else the codec's.
 *
 * <p>Not API: reached through {@code Codec.defaults()} and {@code Codec.builder()}. It names the
 * public {@code Codec}, {@code ByteSink} and {@code CodecException} types, and nothing of the
 * platform.
 */
package org.multiprocessing4j.internal.codec;
