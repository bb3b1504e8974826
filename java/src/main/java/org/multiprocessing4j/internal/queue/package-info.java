/**
 * The shared-memory ring behind {@code SharedQueue} and {@code SharedJoinableQueue}: the region
 * layout ({@link org.multiprocessing4j.internal.queue.QueueLayout}, with its offset table), the
 * slot protocol in which every claim names its process so that a dead owner's claim is
 * recovered, with the record format of a slot and the waiting of blocked claims
 * ({@link org.multiprocessing4j.internal.queue.Ring}: {@code write}/{@code copyInline}/{@code read} in the
 * manner of Agrona's ring buffers, {@code claim} by the one waiting policy), the participants
 * table that names processes robustly against pid reuse, the unfinished-task accounting of
 * joinable queues ({@link org.multiprocessing4j.internal.queue.TaskCounts}), the record area
 * whose runs of chunks carry records larger than a slot in place, each chunk naming its owner or
 * the queue position it belongs to ({@code RecordArea}), the named segments that carry records
 * larger than the area takes ({@link org.multiprocessing4j.internal.queue.Spill},
 * one queue view's use of them: {@link org.multiprocessing4j.internal.queue.SpillStore}) and a
 * view's reusable encode buffers ({@link org.multiprocessing4j.internal.queue.SinkPool}).
 *
 * <p>Every word shared between processes is a naturally aligned 4- or 8-byte word accessed with
 * the VarHandle mode its table names. Encoding (the codec) and the process-local lifetime
 * belong to {@code SharedQueue}, not here.
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.queue;
