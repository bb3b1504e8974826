/**
 * The shared-memory ring behind {@code SharedQueue} and {@code SharedJoinableQueue}: the region
 * layout ({@link org.multiprocessing4j.internal.queue.QueueLayout}, with its offset table), the
 * slot protocol in which every claim names its process so that a dead owner's claim is
 * recovered ({@link org.multiprocessing4j.internal.queue.Ring}), the participants table that
 * names processes robustly against pid reuse, the unfinished-task accounting of joinable
 * queues, and the named segments that carry records larger than a slot
 * ({@link org.multiprocessing4j.internal.queue.Spill}).
 *
 * <p>Every word shared between processes is a naturally aligned 4- or 8-byte word accessed with
 * the VarHandle mode its table names. Encoding, blocking and the process-local lifetime belong
 * to {@code SharedQueue}, not here.
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.queue;
